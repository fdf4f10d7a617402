"""keras_gans: GANs as subclassed ``keras.Model`` objects, trained with ``fit``.

Models: :class:`GAN`, :class:`DCGAN`, :class:`InfoGAN`, :class:`WGANGP`, :class:`R3GAN`;
image to image: :class:`Pix2Pix`, :class:`CycleGAN`, :class:`SRGAN`.
"""

import os as _os

_os.environ.setdefault("KERAS_BACKEND", "tensorflow")

from keras_gans._quiet import quiet_tensorflow_startup  # noqa: E402

quiet_tensorflow_startup()

from keras_gans import losses, networks  # noqa: E402
from keras_gans.models import (  # noqa: E402
    DCGAN,
    GAN,
    R3GAN,
    SRGAN,
    WGANGP,
    BaseGAN,
    CycleGAN,
    InfoGAN,
    LinearDecay,
    Pix2Pix,
    TranslationGAN,
)

__version__ = "0.1.0"


def __getattr__(name: str):
    # Lazy, so that ``python -m keras_gans.export`` does not find its module imported already.
    if name == "export_generator":
        from keras_gans.export import export_generator

        return export_generator
    raise AttributeError(f"module 'keras_gans' has no attribute {name!r}")


__all__ = [
    "DCGAN",
    "GAN",
    "SRGAN",
    "WGANGP",
    "BaseGAN",
    "CycleGAN",
    "InfoGAN",
    "LinearDecay",
    "Pix2Pix",
    "R3GAN",
    "TranslationGAN",
    "export_generator",
    "losses",
    "networks",
]
