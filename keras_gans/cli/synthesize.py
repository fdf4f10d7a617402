"""``keras-gans synthesize``: write a labelled image folder from a class-conditional generator.

    keras-gans synthesize RUN_DIR_OR_EXPORT --per-class 500 --out synthetic/
    keras-gans synthesize saved_models/mnist-conditional --per-class 100 --classes 3,8 --out s/

``RUN_DIR_OR_EXPORT`` is a run directory, a ``.keras`` file, or an exported
SavedModel (version or base directory, with a ``generate_with_labels``
signature). The folder gets one subfolder per class (``0``..``9``), which
``keras.utils.image_dataset_from_directory`` and ``train.py --dataset FOLDER``
read back with the same labels.
"""

from __future__ import annotations

import argparse
import sys

from keras_gans.config import integers


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(
        prog="keras-gans synthesize", description=__doc__.split("\n")[0]
    )
    parser.add_argument("source", help="run directory, .keras file or exported SavedModel")
    parser.add_argument("--per-class", type=int, required=True, help="images per class")
    parser.add_argument("--out", required=True, help="output folder (one subfolder per class)")
    parser.add_argument(
        "--classes", type=integers, default=None, help="only these classes (default: all)"
    )
    parser.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    parser.add_argument(
        "--overwrite", action="store_true", help="write into a folder that is not empty"
    )
    parser.add_argument(
        "--verbose", action="store_true", help="show TensorFlow's start-up messages"
    )
    args = parser.parse_args(argv)
    if args.per_class < 1:
        parser.error(f"--per-class must be a positive number of images, got {args.per_class}")

    from keras_gans import synthetic
    from keras_gans.export import ExportError

    def progress(done: int, total: int) -> None:
        width = 30
        bar = "#" * (width * done // total)
        end = "\n" if done == total else ""
        print(f"\r[{bar:<{width}}] {done}/{total} images", end=end, flush=True)

    try:
        source = synthetic.labelled_source(args.source)
        counts = synthetic.write_image_folder(
            source,
            args.out,
            args.per_class,
            classes=args.classes,
            seed=args.seed,
            overwrite=args.overwrite,
            progress=progress,
        )
    except (ValueError, ExportError) as e:
        parser.error(str(e))
    print(f"wrote {sum(counts.values())} images of {len(counts)} classes to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
