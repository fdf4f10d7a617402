"""The command-line entry points: ``keras-gans train|evaluate|export|sample|synthesize``.

One module per command, each with a ``main(argv) -> int``; installed as the
``keras-gans`` console script (``pyproject.toml``), and reachable as
``python -m keras_gans.cli.<command>``, ``python -m keras_gans <command>``,
``python -m keras_gans.evaluate|export|sample|synthesize`` and ``train.py``. The library
never imports this package.
"""

from __future__ import annotations

import importlib
import sys

COMMANDS = {
    "train": "train a GAN (train.py)",
    "evaluate": "score a trained model: FID, KID, precision/recall, classifier score",
    "export": "export a generator as a TensorFlow SavedModel",
    "sample": "write a grid of samples from an exported SavedModel",
    "synthesize": "write a labelled image folder from a class-conditional generator",
}


def main(argv: list[str] | None = None) -> int:
    """``keras-gans COMMAND [options]``: run one command."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        width = max(map(len, COMMANDS))
        lines = [f"  {name:<{width}}  {text}" for name, text in COMMANDS.items()]
        print("usage: keras-gans COMMAND [options]   (keras-gans COMMAND --help)\n")
        print("commands:\n" + "\n".join(lines))
        if argv and argv[0] not in ("-h", "--help"):
            print(f"\nkeras-gans: error: unknown command {argv[0]!r}", file=sys.stderr)
            return 2
        return 0 if argv else 2
    module = importlib.import_module(f"keras_gans.cli.{argv[0]}")
    return module.main(argv[1:])
