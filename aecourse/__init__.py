"""aecourse: reference implementations and grading helpers for the autoencoder course.

Import it one way everywhere::

    import aecourse as ae

TensorFlow is imported quietly (no absl/oneDNN log block) the first time this
package is imported, so import ``aecourse`` before ``tensorflow`` in a notebook.
"""

from aecourse._tf import keras, set_seed, tf  # noqa: F401  (quiet import first)

__version__ = "0.1.0"
__all__ = ["set_seed", "tf", "keras", "__version__"]
