"""The GAN models: one file per objective over a shared base class."""

from keras_gans.models.base import BaseGAN
from keras_gans.models.dcgan import DCGAN
from keras_gans.models.gan import GAN
from keras_gans.models.infogan import InfoGAN
from keras_gans.models.wgan_gp import WGANGP

__all__ = ["DCGAN", "GAN", "WGANGP", "BaseGAN", "InfoGAN"]
