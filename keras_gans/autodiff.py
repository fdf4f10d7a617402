"""Second-order differentiation without the zero terms of piecewise-linear activations.

The gradient penalty of WGAN-GP differentiates a gradient: the outer tape
differentiates the critic's backward pass, which contains ``LeakyReluGrad``
(or ``ReluGrad``) ops ``g * where(x > 0, 1, alpha)``. TensorFlow's gradient of
such an op with respect to the forward pre-activations ``x`` is
``zeros_like(x)`` (the activation's second derivative is zero almost
everywhere), and the tape then back-propagates those zero tensors through the
whole forward pass on the interpolated images: a full backward pass of the
critic (weight and input gradients of every convolution) that adds exactly
zero to every weight gradient.

Inside :func:`skip_zero_curvature` those gradients are ``None`` (TensorFlow's
"no gradient") instead of zero tensors, so the tape prunes the dead backward
pass. The weight gradients are bit-identical; only the work changes
(measured in ``benchmarks/throughput.py``). TensorFlow has no public way to
replace the gradient of a built-in op, so this swaps the entries of its
gradient registry for the duration of the ``with`` block (reference-counted
and locked, so concurrent replica threads under ``tf.distribute`` are safe);
where the registry is not what this module expects, it does nothing.
"""

from __future__ import annotations

import contextlib
import threading
import warnings
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["skip_zero_curvature", "zero_curvature_supported"]


# TensorFlow's private modules are imported only when the context is used, so
# that models which never take a gradient of a gradient never touch them.


def _leaky_relu_grad_grad(op: Any, grad: Any) -> tuple[Any, None]:
    from tensorflow.python.ops import gen_nn_ops

    return gen_nn_ops.leaky_relu_grad(grad, op.inputs[1], alpha=op.get_attr("alpha")), None


def _relu_grad_grad(op: Any, grad: Any) -> tuple[Any, None]:
    from tensorflow.python.ops import gen_nn_ops

    return gen_nn_ops.relu_grad(grad, op.inputs[1]), None


def _relu6_grad_grad(op: Any, grad: Any) -> tuple[Any, None]:
    from tensorflow.python.ops import gen_nn_ops

    return gen_nn_ops.relu6_grad(grad, op.inputs[1]), None


# The first output of each is TensorFlow's own (nn_grad.py); only the second,
# the gradient with respect to the forward features, changes from zeros to None.
_REPLACEMENTS: dict[str, Callable[[Any, Any], tuple[Any, None]]] = {
    "LeakyReluGrad": _leaky_relu_grad_grad,
    "ReluGrad": _relu_grad_grad,
    "Relu6Grad": _relu6_grad_grad,
}

_lock = threading.Lock()
_depth = 0
_saved: dict[str, Any] = {}
_warned: list[bool] = []


def _registry_entries() -> dict[str, dict[str, Any]] | None:
    try:
        from tensorflow.python.framework import ops as _tf_ops
    except ImportError:
        return None
    registry = getattr(getattr(_tf_ops, "_gradient_registry", None), "_registry", None)
    if not isinstance(registry, dict):
        return None
    entries = {name: registry.get(name) for name in _REPLACEMENTS}
    if not all(isinstance(entry, dict) and "type" in entry for entry in entries.values()):
        return None
    return entries


def zero_curvature_supported() -> bool:
    """Whether this TensorFlow's gradient registry can be patched (else the context is a no-op)."""
    return _registry_entries() is not None


@contextlib.contextmanager
def skip_zero_curvature() -> Iterator[None]:
    """Within the block, second derivatives of ReLU/LeakyReLU/ReLU6 are "no gradient".

    Wrap the outer ``tape.gradient`` call of a step that differentiates a
    gradient (a gradient penalty). First-order gradients never differentiate
    these ops, so they are unaffected.
    """
    global _depth
    entries = _registry_entries()
    if entries is None:
        if not _warned:
            _warned.append(True)
            warnings.warn(
                "keras_gans.autodiff: this TensorFlow's gradient registry is not the one "
                "expected; gradient penalties run unpruned (correct, slower)",
                RuntimeWarning,
                stacklevel=3,
            )
        yield
        return
    with _lock:
        if _depth == 0:
            for name, entry in entries.items():
                _saved[name] = entry["type"]
                entry["type"] = _REPLACEMENTS[name]
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                for name, entry in entries.items():
                    entry["type"] = _saved.pop(name)
