"""Keep TensorFlow's C++ start-up chatter (CUDA not found, oneDNN notices) out of the commands.

TensorFlow writes those lines to stderr from C++ while it is imported and its
devices start, some before its log level is read, so only redirecting the
stderr file descriptor for that moment hides them. It is done for the
package's commands only (``python -m keras_gans...``, ``keras-gans``,
``train.py``), never when the user set ``TF_CPP_MIN_LOG_LEVEL`` or passed
``--verbose``, and never in a process that imported TensorFlow already.
"""

from __future__ import annotations

import os
import sys

COMMAND_NAMES = ("keras-gans", "train.py")


def is_command() -> bool:
    """Whether this process is one of the package's commands."""
    first = sys.argv[0] if sys.argv else ""
    return first == "-m" or os.path.basename(first) in COMMAND_NAMES


def quiet_tensorflow_startup(force: bool = False) -> None:
    """Import TensorFlow and start its devices with stderr silenced (see the module doc).

    ``force``: do it whatever the process (the caller is a command).
    """
    if (
        not (force or is_command())
        or "tensorflow" in sys.modules
        or "TF_CPP_MIN_LOG_LEVEL" in os.environ
        or "--verbose" in sys.argv
    ):
        return
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"  # Python-side warnings of TensorFlow too
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    try:
        import tensorflow as tf

        tf.config.list_physical_devices()
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
