"""Autoencoder variants from the end of Chapter 7: stacked, denoising and variational.

- :mod:`~aecourse.variants.stacked`: greedy layer-wise training of a deep encoder whose
  layers can start a classifier.
- :mod:`~aecourse.variants.denoising`: an Autoencoder that learns to undo Gaussian or masking
  noise; the loss compares the reconstruction of the noisy input with the clean input.
- :mod:`~aecourse.variants.vae`: a Keras 3 variational autoencoder (reparameterization,
  KL term) that samples new points and interpolates between two codes.
"""

from aecourse.variants.denoising import (
    DenoisingAutoencoder,
    add_gaussian_noise,
    add_masking_noise,
)
from aecourse.variants.stacked import StackedAutoencoder
from aecourse.variants.vae import (
    Sampling,
    VariationalAutoencoder,
    kl_divergence,
    reparameterize,
)

__all__ = [
    "StackedAutoencoder",
    "add_gaussian_noise",
    "add_masking_noise",
    "DenoisingAutoencoder",
    "reparameterize",
    "kl_divergence",
    "Sampling",
    "VariationalAutoencoder",
]
