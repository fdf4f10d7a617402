"""The GAN models: one file per objective over a shared base class."""

from keras_gans.models.base import BaseGAN
from keras_gans.models.cyclegan import CycleGAN
from keras_gans.models.dcgan import DCGAN
from keras_gans.models.gan import GAN
from keras_gans.models.infogan import InfoGAN
from keras_gans.models.pix2pix import Pix2Pix
from keras_gans.models.r3gan import R3GAN
from keras_gans.models.srgan import SRGAN
from keras_gans.models.translation import LinearDecay, TranslationGAN
from keras_gans.models.wgan_gp import WGANGP

__all__ = [
    "DCGAN",
    "GAN",
    "R3GAN",
    "SRGAN",
    "WGANGP",
    "BaseGAN",
    "CycleGAN",
    "InfoGAN",
    "LinearDecay",
    "Pix2Pix",
    "TranslationGAN",
]
