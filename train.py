"""Train a GAN from the command line: ``python train.py --help``.

With no arguments it trains DCGAN on the embedded handwritten digits (offline,
a few minutes on a laptop CPU) and writes a run directory under ``runs/``.
The same command is ``keras-gans train`` once the package is installed.
"""

import sys

from keras_gans.cli.train import main

if __name__ == "__main__":
    sys.exit(main(prog="train.py"))
