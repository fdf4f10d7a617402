"""keras_gans: GANs as subclassed ``keras.Model`` objects, trained with ``fit``.

Models: :class:`GAN`, :class:`DCGAN`, :class:`InfoGAN`, :class:`WGANGP`.
"""

import os as _os

_os.environ.setdefault("KERAS_BACKEND", "tensorflow")

from keras_gans import losses, networks  # noqa: E402
from keras_gans.models import DCGAN, GAN, WGANGP, BaseGAN, InfoGAN  # noqa: E402

__version__ = "0.1.0"

__all__ = ["DCGAN", "GAN", "WGANGP", "BaseGAN", "InfoGAN", "losses", "networks"]
