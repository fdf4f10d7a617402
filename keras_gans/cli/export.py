"""``keras-gans export``: export a run directory or ``.keras`` file as a versioned SavedModel."""

from __future__ import annotations

import argparse
import sys

from keras_gans.export import ExportError, export_generator, load_gan


def main(argv: list[str] | None = None) -> int:
    """Export; a bad source or destination ends with one line and exit status 2."""
    parser = argparse.ArgumentParser(
        prog="keras-gans export",
        description="Export a GAN's generator as a versioned TensorFlow SavedModel.",
    )
    parser.add_argument(
        "source", help="a run directory (model.keras or last checkpoint) or a .keras file"
    )
    parser.add_argument("out_dir", help="SavedModel base directory; writes OUT_DIR/<version>/")
    parser.add_argument(
        "--version", type=int, default=None, help="version number (default: next free)"
    )
    parser.add_argument("--overwrite", action="store_true", help="replace an existing version")
    parser.add_argument(
        "--verbose", action="store_true", help="show TensorFlow's start-up messages"
    )
    args = parser.parse_args(argv)
    try:
        target = export_generator(
            load_gan(args.source), args.out_dir, version=args.version, overwrite=args.overwrite
        )
    except ExportError as e:
        parser.error(str(e))
    print(f"exported generator to {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
