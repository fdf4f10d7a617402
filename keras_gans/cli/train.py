"""``keras-gans train`` (and ``train.py``): train a GAN from the command line.

The flags are :class:`keras_gans.config.TrainConfig`'s fields, built here
from their declarations; this module only parses and reports errors.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys

from keras_gans import training
from keras_gans.callbacks import WriteError
from keras_gans.config import TrainConfig
from keras_gans.data import DataError
from keras_gans.export import ExportError

DESCRIPTION = (
    "Train a GAN (GAN, DCGAN, InfoGAN, WGAN-GP; image to image: Pix2Pix, CycleGAN, SRGAN) "
    "with Keras and watch it in TensorBoard. "
    "Defaults: DCGAN on the embedded handwritten digits."
)


def build_parser(prog: str = "keras-gans train") -> argparse.ArgumentParser:
    """The parser: one flag per :class:`TrainConfig` field, in its declared group."""
    parser = argparse.ArgumentParser(
        prog=prog, description=DESCRIPTION, formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    groups: dict[str, argparse._ArgumentGroup] = {}
    for f in dataclasses.fields(TrainConfig):
        meta = dict(f.metadata)
        if not meta.pop("cli", True):
            continue
        help_text, group = meta.pop("help"), meta.pop("group")
        target = parser if not group else groups.setdefault(group, parser.add_argument_group(group))
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        flag = "--" + f.name.replace("_", "-")
        if isinstance(default, bool) or meta.pop("boolean", False):
            target.add_argument(
                flag, action=argparse.BooleanOptionalAction, default=default, help=help_text
            )
        else:
            target.add_argument(flag, default=default, help=help_text, **meta)
    parser.add_argument(
        "--verbose", action="store_true", help="show TensorFlow's start-up messages"
    )
    return parser


def main(argv: list[str] | None = None, prog: str = "keras-gans train") -> int:
    """Parse, train; bad input ends with one line and exit status 2, divergence with 3,
    an unwritable output with 1, a stop signal with 128 + its number."""
    parser = build_parser(prog)
    args = vars(parser.parse_args(argv))
    args.pop("verbose")
    try:
        training.run(TrainConfig(**args))
    except (training.ConfigError, DataError, ExportError) as e:
        parser.error(str(e))
    except training.TrainingInterrupted as e:  # SIGINT 130, SIGTERM 143, as shells report
        print(f"{parser.prog}: {e}", file=sys.stderr)
        return 128 + e.signal
    except training.TrainingDiverged as e:
        print(f"{parser.prog}: {e}", file=sys.stderr)
        return 3
    except WriteError as e:  # the last good checkpoint is intact: --resume continues
        print(f"{parser.prog}: {e}; the last complete checkpoint is kept", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
