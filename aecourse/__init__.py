"""aecourse: reference implementations and grading helpers for the autoencoder course.

Import it one way everywhere::

    import aecourse as ae

TensorFlow is imported quietly (no absl/oneDNN log block) the first time this
package is imported, so import ``aecourse`` before ``tensorflow`` in a notebook.
Submodules (``ae.plotting``, ``ae.datasets`` ...) load on first use.
"""

from __future__ import annotations

import importlib

from aecourse._tf import keras, set_seed, tf  # noqa: F401  (quiet import first)

__version__ = "0.1.0"

SUBMODULES = (
    "activations",
    "autoencoder",
    "datasets",
    "grading",
    "images",
    "neurons",
    "plotting",
    "variants",
)
# Names re-exported from a submodule: name -> module.
_REEXPORTS = {
    "Autoencoder": "autoencoder",
    "NotTrainedError": "autoencoder",
    "get_batch": "autoencoder",
}

__all__ = ["set_seed", "tf", "keras", "__version__", *SUBMODULES, *_REEXPORTS]


def __getattr__(name: str):
    if name in SUBMODULES:
        module = importlib.import_module(f"aecourse.{name}")
        globals()[name] = module
        return module
    if name in _REEXPORTS:
        value = getattr(importlib.import_module(f"aecourse.{_REEXPORTS[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'aecourse' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
