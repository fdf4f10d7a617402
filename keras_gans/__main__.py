"""``python -m keras_gans COMMAND [options]``: the ``keras-gans`` command."""

import sys

from keras_gans.cli import main

sys.exit(main())
