"""Helpers for the Korean GAN tutorial notebooks (TensorFlow 2 / Keras 3).

``import gan_helpers`` imports nothing heavy (no TensorFlow, no Keras), so the command
line answers ``--help`` at once. The notebooks' first import is

    import gan_helpers
    tf = gan_helpers.import_tensorflow_quietly()  # no absl/oneDNN lines under the cell

and only then ``import keras`` or the modules that build models (``models``,
``checkpoints``, ``training``, ...), which import TensorFlow quietly themselves.
"""

from ._quiet import import_tensorflow_quietly

__all__ = ["import_tensorflow_quietly"]
