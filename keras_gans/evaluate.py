"""``python -m keras_gans.evaluate``: the ``keras-gans evaluate`` command."""

import sys

from keras_gans.cli.evaluate import main

if __name__ == "__main__":
    sys.exit(main())
