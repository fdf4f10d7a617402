"""``python -m keras_gans.sample``: the ``keras-gans sample`` command."""

import sys

from keras_gans.cli.sample import main

if __name__ == "__main__":
    sys.exit(main())
