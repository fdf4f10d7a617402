"""``python -m keras_gans.synthesize``: the ``keras-gans synthesize`` command."""

import sys

from keras_gans.cli.synthesize import main

if __name__ == "__main__":
    sys.exit(main())
