"""Helpers for the Korean GAN tutorial notebooks (TensorFlow 2 / Keras 3).

Importing this package imports TensorFlow quietly (see ``_quiet``), so the
notebooks start with ``import gan_helpers`` before ``import tensorflow``.
"""

from ._quiet import import_tensorflow_quietly

import_tensorflow_quietly()

__all__ = ["import_tensorflow_quietly"]
