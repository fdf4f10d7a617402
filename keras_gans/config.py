"""The options of a training run, declared once: ``TrainConfig``.

Each field is one ``train.py`` flag (``--batch-size`` is ``batch_size``); its
metadata holds the help text, the argparse group and the value's type, which
both the command-line parser (:mod:`keras_gans.cli.train`) and
:meth:`TrainConfig.validate` use. Options of one kind of model are declared by
the model (``BaseGAN.train_options``), which also checks their ranges
(``check_options``); :meth:`TrainConfig.validate` adds the rules that span options.
"""

from __future__ import annotations

import argparse
import dataclasses
import numbers
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from keras_gans import augment, distribute, networks
from keras_gans.models import (
    DCGAN,
    GAN,
    R3GAN,
    SRGAN,
    WGANGP,
    BaseGAN,
    CycleGAN,
    InfoGAN,
    Pix2Pix,
    TranslationGAN,
)
from keras_gans.models.gan import ADVERSARIAL_LOSSES

__all__ = [
    "MODELS",
    "PRECISION_POLICIES",
    "ConfigError",
    "TrainConfig",
    "is_translation",
    "resume_conflicts",
]

MODELS: dict[str, type[BaseGAN] | type[TranslationGAN]] = {
    "gan": GAN,
    "dcgan": DCGAN,
    "infogan": InfoGAN,
    "wgan-gp": WGANGP,
    "r3gan": R3GAN,
    "pix2pix": Pix2Pix,
    "cyclegan": CycleGAN,
    "srgan": SRGAN,
}
TRANSLATION_SIZES = networks.TRANSLATION_SIZES
# Options with no meaning for image-to-image models (no noise, labels, EMA or DiffAugment).
NOISE_ONLY = (
    "latent_dim",
    "conditional",
    "spectral_norm",
    "eval_every",
    "diffaugment",
)


def is_translation(model: str) -> bool:
    """Whether ``model`` names an image-to-image model (Pix2Pix, CycleGAN, SRGAN)."""
    return issubclass(MODELS[model], TranslationGAN)


PRECISION_POLICIES = {"off": "float32", "bf16": "mixed_bfloat16", "fp16": "mixed_float16"}


class ConfigError(ValueError):
    """An invalid option; the message names it."""


class ValueType:
    """A value rule, used as an argparse ``type`` and by :meth:`TrainConfig.validate`.

    Called with command-line text or a Python value; returns the value cast,
    or raises ``argparse.ArgumentTypeError`` saying what was wanted.
    """

    def __init__(self, cast: type, test: Callable[[Any], bool] | None = None, wanted: str = ""):
        self.cast, self.test, self.wanted = cast, test, wanted
        self.__name__ = wanted or cast.__name__  # argparse names the type in its errors

    def __call__(self, value: Any) -> Any:
        kind = "an integer" if self.cast is int else "a number"
        if isinstance(value, str):
            try:
                value = self.cast(value)
            except ValueError:
                raise argparse.ArgumentTypeError(f"not {kind}: {value!r}") from None
        elif isinstance(value, bool) or not isinstance(
            value, numbers.Integral if self.cast is int else numbers.Real
        ):
            raise argparse.ArgumentTypeError(f"not {kind}: {value!r}")
        value = self.cast(value)
        if self.test is not None and not self.test(value):  # `not` also rejects NaN
            raise argparse.ArgumentTypeError(f"must be {self.wanted}, got {value}")
        return value


POSITIVE_INT = ValueType(int, lambda v: v > 0, "a positive integer")
NON_NEGATIVE_INT = ValueType(int, lambda v: v >= 0, ">= 0")
POSITIVE = ValueType(float, lambda v: v > 0, "positive")
INT, FLOAT = ValueType(int), ValueType(float)


def integers(value: str | list[int]) -> list[int]:
    """A list of integers: ``"10,5"`` on the command line, or a list."""
    if not isinstance(value, str):
        return [INT(k) for k in value]
    try:
        return [int(t) for t in value.split(",") if t.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers, got {value!r}"
        ) from None


def number_pair(value: str | list[float]) -> list[float]:
    """Two numbers, a schedule's base and final values: ``"2e-4,5e-5"`` or a list."""
    if isinstance(value, str):
        try:
            value = [float(t) for t in value.split(",")]
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected two numbers BASE,FINAL, got {value!r}"
            ) from None
    values = [FLOAT(v) for v in value]
    if len(values) != 2:
        raise argparse.ArgumentTypeError(f"expected two numbers BASE,FINAL, got {value!r}")
    return values


def images_or_auto(value: Any) -> int | str:
    """``"auto"`` (the run's length in images) or a positive number of images."""
    return value if value == "auto" else POSITIVE_INT(value)


def probability_or_none(value: Any) -> float | None:
    """A probability in (0, 1], or None."""
    if value is None or value == "none":
        return None
    return ValueType(float, lambda v: 0 < v <= 1, "in (0, 1]")(value)


def diffaugment_policy(value: str | None) -> str | None:
    """``auto``, ``none`` or a comma-separated DiffAugment policy."""
    if value not in (None, "auto", "none"):
        try:
            augment.parse_policy(value)
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e)) from None
    return value


def ema_decay(value: Any) -> float | str | None:
    """``"auto"`` or an EMA decay in (0, 1); 0 or None turns the EMA off."""
    if value is None or value == "auto":
        return value
    value = FLOAT(value)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be in [0, 1), got {value}")
    return value or None


def batch_size(value: Any) -> int | str:
    """``"auto"`` (the model's ``default_batch_size``) or a positive number of images."""
    return value if value == "auto" else POSITIVE_INT(value)


def checkpoint_interval(value: Any) -> int | str:
    """``"auto"`` or a number of steps (0: checkpoints at epoch ends only)."""
    return value if value == "auto" else NON_NEGATIVE_INT(value)


def option(default: Any, help: str, group: str = "", **argparse_kwargs: Any) -> Any:
    """A ``TrainConfig`` field with its flag's help, argparse group and argparse settings.

    ``type``/``choices`` also validate Python values; ``cli=False`` keeps a
    field off the command line.
    """
    metadata = {"help": help, "group": group, **argparse_kwargs}
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=metadata)
    return field(default=default, metadata=metadata)


_HEALTH, _EVAL, _DIST = "training health", "evaluation", "distribution"
_COND, _REG = "class conditioning (gan, dcgan, wgan-gp)", "regularisation"


@dataclass
class TrainConfig:
    """Options of one training run: one field per ``train.py`` flag."""

    model: str = option(
        "dcgan",
        "GAN objective and default networks; pix2pix, cyclegan and srgan translate images",
        choices=list(MODELS),
    )
    dataset: str = option(
        "digits",
        "'digits' (embedded, offline), a tensorflow-datasets name (mnist, fashion_mnist, "
        "cifar10, celeb_a...), a folder of images, or an MNIST-format IDX images file "
        "(e.g. t10k-images-idx3-ubyte.gz); pix2pix: a folder with A/ and B/ (matching file "
        "names) or of side-by-side pairs; cyclegan: a folder with A/ and B/ (or trainA/, "
        "trainB/) or a TFDS cycle_gan/... name; srgan: any of the image sources",
    )
    data_dir: str | None = option(None, "tensorflow-datasets data directory")
    split: str = option("train", "tensorflow-datasets split")
    epochs: int = option(120, "total epochs to train", type=POSITIVE_INT)
    batch_size: int | str = option(
        "auto",
        "global batch size; auto = the model's: 16 for infogan (its codes learn the classes "
        "more reliably with more, smaller steps), 32 for the others",
        type=batch_size,
        metavar="N|auto",
    )
    latent_dim: int | None = option(
        None,
        "noise size (default: the model's, 100 for GAN/DCGAN, 62 InfoGAN, 128 WGAN-GP)",
        type=POSITIVE_INT,
    )
    image_size: int | None = option(
        None,
        "image height and width (default: the data set's, 16 for digits); 128 and 256 for "
        "image-to-image models only; srgan: the high-resolution size",
        type=int,
        choices=[*networks.SUPPORTED_SIZES, *TRANSLATION_SIZES],
    )
    channels: int | None = option(
        None, "image channels (default: the data set's)", type=int, choices=[1, 3]
    )
    g_lr: float | None = option(
        None, "generator learning rate (default: the paper's)", type=POSITIVE
    )
    d_lr: float | None = option(
        None, "discriminator learning rate (default: the paper's)", type=POSITIVE
    )
    seed: int | None = option(
        None,
        "random seed; also makes the run deterministic (resume gives identical weights)",
        type=INT,
    )
    run_dir: str | None = option(None, "run directory (default runs/<model>-<dataset>-<timestamp>)")
    runs_root: str = option("runs", "", cli=False)
    export: str | None = option(
        None,
        "export the generator as a SavedModel under DIR/<version> at the end; without DIR, "
        "under saved_models/<run name>/",
        nargs="?",
        const="auto",
        metavar="DIR",
    )
    jit: str = option(
        "auto",
        "XLA compilation; auto = on with a GPU/TPU, off on CPU",
        choices=["auto", "on", "off"],
    )
    mixed_precision: str = option("off", "mixed precision policy", choices=list(PRECISION_POLICIES))
    resume: bool = option(False, "continue the run in --run-dir from its last checkpoint")
    ema_decay: float | str | None = option(
        "auto",
        "exponential moving average of the generator(s) with this decay (with warm-up); "
        "samples, evaluation and exports use it; 0 turns it off; auto = 0.999, off for "
        "pix2pix and cyclegan (their papers)",
        _HEALTH,
        type=ema_decay,
        metavar="DECAY|auto",
    )
    checkpoint_every: int | str = option(
        "auto",
        "checkpoints inside an epoch as well as at its end: every N steps, 'auto' every "
        "10 minutes, 0 only at epoch ends",
        _HEALTH,
        type=checkpoint_interval,
        metavar="N|auto",
    )
    max_retries: int = option(
        2,
        "rollbacks to the last good checkpoint when training diverges",
        _HEALTH,
        type=NON_NEGATIVE_INT,
    )
    retry_lr_factor: float = option(
        0.5,
        "multiply both learning rates by this at each rollback",
        _HEALTH,
        type=ValueType(float, lambda v: 0 < v <= 1, "in (0, 1]"),
    )
    loss_bound: float = option(
        1e4,
        "a loss beyond +-this for 20 consecutive steps counts as divergence",
        _HEALTH,
        type=POSITIVE,
    )
    loss_bound_patience: int = option(20, "", cli=False, type=POSITIVE_INT)
    diagnostics: bool = option(True, "the per-epoch mode-collapse diagnostics", _HEALTH)
    eval_every: int | None = option(
        None,
        "every N epochs compute FID/KID/precision/recall/classifier score (and InfoGAN code "
        "accuracy) with a domain classifier trained on the labelled data",
        _EVAL,
        type=POSITIVE_INT,
    )
    eval_samples: int = option(1000, "generated images per evaluation", _EVAL, type=POSITIVE_INT)
    strategy: str = option(
        "default",
        "tf.distribute strategy: mirrored = all local GPUs (or --cpu-devices), multiworker = "
        "the cluster in TF_CONFIG",
        _DIST,
        choices=list(distribute.STRATEGIES),
    )
    cpu_devices: int | None = option(
        None,
        "split the CPU into N logical devices (to run mirrored without GPUs)",
        _DIST,
        type=POSITIVE_INT,
    )
    conditional: bool | str = option(
        "auto",
        "train a class-conditional model on the data set's labels (digits, MNIST-like TFDS "
        "sets, IDX pairs, folders with one subfolder per class); auto = on for the embedded "
        "digits with gan, dcgan and wgan-gp (the first run draws digits that any judge "
        "reads), off for every other data set",
        _COND,
        boolean=True,
    )
    conditioning: str = option(
        "projection",
        "how the discriminator reads the label: a projection term (Miyato and Koyama 2018) "
        "or one-hot label maps joined to the image",
        _COND,
        choices=list(networks.CONDITIONING_MODES),
    )
    spectral_norm: bool = option(
        False, "spectral normalisation of the default discriminator's layers", _REG
    )
    diffaugment: str | None = option(
        "auto",
        "DiffAugment before the discriminator: comma-separated from color, translation, "
        "cutout (e.g. translation,cutout); 'none'; or 'auto': translation for data sets of "
        "fewer than 10,000 images (such as digits), none otherwise",
        _REG,
        type=diffaugment_policy,
        metavar="POLICY",
    )
    loss: str = option(
        "non-saturating",
        "adversarial loss: the original GAN's (non-saturating G loss), hinge (Lim and Ye "
        "2017) or relativistic pairing (RpGAN; Jolicoeur-Martineau 2019, Huang et al. 2024)",
        "objective (gan, dcgan, pix2pix, srgan)",
        choices=list(ADVERSARIAL_LOSSES),
    )
    r1: float = option(
        0.0,
        "R1 penalty on real images, gamma/2 * E||grad D(x)||^2 (Mescheder et al. 2018); with "
        "R1 or R2 on, DCGAN's discriminator has no batch norm",
        "objective (gan, dcgan)",
        type=FLOAT,
        metavar="GAMMA",
    )
    r2: float = option(
        0.0,
        "R2 penalty on generated images, weighted like --r1",
        "objective (gan, dcgan)",
        type=FLOAT,
        metavar="GAMMA",
    )
    reg_interval: int = option(
        1,
        "lazy regularisation: apply R1/R2 every K discriminator steps, scaled by K",
        "objective (gan, dcgan)",
        type=INT,
        metavar="K",
    )
    width: int = option(
        32,
        "channels of the coarsest stage, halved at each doubling of the size down to 16 "
        "(the paper: 768 in every stage, on GPUs)",
        "r3gan",
        type=POSITIVE_INT,
    )
    blocks_per_stage: int = option(
        2, "residual blocks per stage (the paper: 2)", "r3gan", type=POSITIVE_INT
    )
    schedule_images: int | str = option(
        "auto",
        "training images over which the learning rate, gamma, beta_2 and EMA half-life move "
        "from base to final along half-cosines; auto = the run's length",
        "r3gan",
        type=images_or_auto,
        metavar="N|auto",
    )
    gamma: list[float] = option(
        [0.05, 0.005],
        "R1 and R2 gamma, base and final (the paper's CIFAR-10 values)",
        "r3gan",
        type=number_pair,
        metavar="BASE,FINAL",
    )
    lr_schedule: list[float] = option(
        [2e-4, 5e-5],
        "learning rate of both networks, base and final (the paper's)",
        "r3gan",
        type=number_pair,
        metavar="BASE,FINAL",
    )
    augment_p: float | None = option(
        None,
        "with --diffaugment, the probability that an image D sees is augmented ramps from 0 "
        "to P (the paper's schedule); default: every image",
        "r3gan",
        type=probability_or_none,
        metavar="P",
    )
    l1_weight: float = option(
        100.0, "lambda of the L1 term (Isola et al. 2017)", "pix2pix", type=FLOAT
    )
    reverse: bool = option(False, "translate B to A (the right half to the left)", "pix2pix")
    cycle_weight: float = option(
        10.0, "lambda of the cycle-consistency terms", "cyclegan", type=FLOAT
    )
    identity_weight: float | None = option(
        None,
        "weight of the identity terms (default: half of --cycle-weight)",
        "cyclegan",
        type=FLOAT,
    )
    pool_size: int = option(
        50, "generated images in each discriminator's history pool", "cyclegan", type=INT
    )
    scale: int = option(4, "upscaling factor", "srgan", type=int, choices=[2, 4, 8])
    base_filters: int = option(
        64, "filters of the first layer of each network", "image to image", type=POSITIVE_INT
    )
    blocks: int | None = option(
        None,
        "residual blocks of the generator (default: srgan 8; cyclegan 6 below 256x256, 9 at 256)",
        "image to image",
        type=POSITIVE_INT,
    )
    critic_steps: int = option(5, "critic updates per generator update", "WGAN-GP", type=INT)
    gp_weight: float = option(10.0, "gradient penalty weight (lambda)", "WGAN-GP", type=FLOAT)
    info_weight: float = option(
        1.0, "mutual-information loss weight (lambda)", "InfoGAN", type=FLOAT
    )
    continuous_weight: float = option(
        0.1,
        "weight of the continuous codes' information term relative to the categorical",
        "InfoGAN",
        type=FLOAT,
    )
    info_warmup: int = option(
        1250,
        "generator steps trained with the information term off before it starts (0: none)",
        "InfoGAN",
        type=INT,
        metavar="STEPS",
    )
    invariant_codes: bool = option(
        True,
        "Q reads the codes through a random small rotation, scale and shift of each fake "
        "(--no-invariant-codes: the paper's Q)",
        "InfoGAN",
    )
    stroke_jitter: float = option(
        0.5,
        "Q also reads the codes through strokes thickened or thinned by up to this "
        "fraction of a 3x3 dilation or erosion (0: off, the paper's Q)",
        "InfoGAN",
        type=FLOAT,
        metavar="FRACTION",
    )
    jitter_continuous: bool = option(
        False,
        "Q reads the continuous codes through the two jitters above too (default: only "
        "the categorical code, so the continuous codes can carry slant and stroke width)",
        "InfoGAN",
    )
    categorical_codes: list[int] = option(
        [10], "comma-separated category counts, one per categorical code", "InfoGAN", type=integers
    )
    continuous_codes: int = option(
        2, "number of continuous codes, uniform in [-1, 1]", "InfoGAN", type=INT
    )
    log_every: int = option(
        50, "TensorBoard step scalars every N generator steps", "logging", type=POSITIVE_INT
    )
    num_samples: int = option(
        64, "images in each epoch's sample grid", "logging", type=POSITIVE_INT
    )
    verbose: int | str = option("auto", "", cli=False)

    def model_options(self) -> dict[str, Any]:
        """The chosen model's own options, as its constructor's arguments."""
        cls = MODELS[self.model]
        return {argument: getattr(self, name) for name, argument in cls.train_options.items()}

    def validate(self) -> None:
        """Raise :class:`ConfigError` naming the first invalid option.

        Each field's ``type``/``choices``, then the chosen model's own checks,
        then the rules that span options.
        """
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value is None or value == _default(f):
                continue
            check, choices = f.metadata.get("type"), f.metadata.get("choices")
            try:
                value = check(value) if check is not None else value
            except argparse.ArgumentTypeError as e:
                raise ConfigError(f"{f.name}: {e}") from None
            if choices is not None and value not in choices:
                listed = ", ".join(str(c) for c in choices)
                raise ConfigError(f"{f.name}: {value!r} is not one of {listed}")
            setattr(self, f.name, value)
        cls = MODELS[self.model]
        for f in dataclasses.fields(self):
            owners = [name for name, m in MODELS.items() if f.name in m.train_options]
            if owners and self.model not in owners and getattr(self, f.name) != _default(f):
                flag = "--" + f.name.replace("_", "-")
                raise ConfigError(f"{flag} is for {', '.join(owners)}, not {self.model}")
        try:
            cls.check_options(**self.model_options())
        except ValueError as e:  # name the flags, not the constructor's arguments
            message = str(e)
            for name, argument in sorted(cls.train_options.items(), key=lambda i: -len(i[1])):
                message = message.replace(argument, "--" + name.replace("_", "-"))
            raise ConfigError(message) from None
        if self.conditional not in (True, False, "auto"):
            raise ConfigError(f"conditional: {self.conditional!r} is not one of True, False, auto")
        if self.conditional is True and not cls.can_condition:
            able = ", ".join(name for name, m in MODELS.items() if m.can_condition)
            raise ConfigError(f"--conditional is for {able}, not {self.model}")
        if self.model == "r3gan" and (self.g_lr is not None or self.d_lr is not None):
            raise ConfigError(
                "--g-lr/--d-lr: r3gan schedules its learning rate; use --lr-schedule BASE,FINAL"
            )
        if self.reverse and self.model != "pix2pix":
            raise ConfigError(f"--reverse is for pix2pix, not {self.model}")
        if is_translation(self.model):
            for name in NOISE_ONLY:
                f = next(f for f in dataclasses.fields(self) if f.name == name)
                value = getattr(self, name)
                # "auto" resolves to False for these models, as config.json records it.
                if value != _default(f) and not (name == "conditional" and value is False):
                    flag = "--" + name.replace("_", "-")
                    raise ConfigError(f"{flag} is not for {self.model} (an image-to-image model)")
        elif self.image_size in TRANSLATION_SIZES:
            sizes = ", ".join(str(s) for s in networks.SUPPORTED_SIZES)
            raise ConfigError(
                f"--image-size {self.image_size} is for pix2pix, cyclegan and srgan; "
                f"{self.model} takes {sizes}"
            )
        if self.resume and not self.run_dir:
            raise ConfigError("--resume needs --run-dir (the run directory to continue)")


def _default(f: dataclasses.Field) -> Any:
    return f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default


def resume_conflicts(
    config: TrainConfig, stored: dict[str, Any], ignore: Collection[str] = ()
) -> list[str]:
    """Options set away from their defaults in ``config`` that a resumed run would ignore.

    ``stored`` is the run's config.json. An option counts when it is not the
    default and not the stored value, so a resumed run never silently trains
    something other than what the user asked for (e.g. ``--model wgan-gp`` on
    a DCGAN run). Returns one ``"name (given X, the run has Y)"`` per option.
    """
    out = []
    for f in dataclasses.fields(TrainConfig):
        if f.name in ignore or f.name in ("runs_root", "run_dir", "resume"):
            continue
        default, given = _default(f), getattr(config, f.name)
        if given != default and given != stored.get(f.name, default):
            out.append(f"{f.name} (given {given!r}, the run has {stored.get(f.name, default)!r})")
    return out
