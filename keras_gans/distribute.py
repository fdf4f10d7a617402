"""tf.distribute support: strategy selection and a multi-worker training loop.

Single-worker strategies (``MirroredStrategy``, ``TPUStrategy``) train with
``model.fit`` as usual: create and compile the model under ``strategy.scope()``.
The models already scale each replica's loss to the global batch, draw
different noise on each replica, and use synchronized batch norm.

``MultiWorkerMirroredStrategy`` with ``model.fit`` fails with two workers on
TensorFlow 2.21 / Keras 3.15 (keras-team/keras#20585), so multi-worker runs
use :func:`fit_distributed`: a short loop that calls the model's own
``train_step`` through ``strategy.run`` and drives the usual Keras callbacks,
with chief-only outputs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from typing import Any

import keras
import tensorflow as tf

__all__ = [
    "configure_cpu_devices",
    "fit_distributed",
    "is_chief",
    "make_strategy",
    "replica_draw",
    "resolve_jit_compile",
]

STRATEGIES = ("default", "mirrored", "multiworker")


def replica_draw(draw: Callable[[Any], tf.Tensor], batch_size: int | tf.Tensor) -> tf.Tensor:
    """Call ``draw(n)`` so that each replica gets its own slice of one global draw.

    Under a multi-replica strategy every replica holds the same seed-generator
    state; drawing the global batch (``batch_size * replicas`` rows) and
    keeping the replica's slice gives different draws per replica, and the
    same draws as one device training on the global batch.
    """
    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    context = tf.distribute.get_replica_context()
    if replicas == 1 or context is None:
        return draw(batch_size)
    start = context.replica_id_in_sync_group * batch_size
    return draw(batch_size * replicas)[start : start + batch_size]


def resolve_jit_compile(jit_compile: bool | str) -> bool:
    """Resolve ``"auto"`` to XLA on GPU/TPU and off on CPU or under a distribution strategy.

    On the 2-core CPU this package is developed on, XLA made a WGAN-GP step about
    2x slower; XLA inside ``tf.distribute`` replicas fails to find per-replica
    resources. ``True`` and ``False`` are returned unchanged.
    """
    if jit_compile != "auto":
        return bool(jit_compile)
    if tf.distribute.has_strategy() and tf.distribute.get_strategy().num_replicas_in_sync > 1:
        return False
    accelerators = tf.config.list_logical_devices("GPU") + tf.config.list_logical_devices("TPU")
    return bool(accelerators)


def configure_cpu_devices(count: int) -> None:
    """Split the CPU into ``count`` logical devices (before TensorFlow starts its runtime).

    Lets ``MirroredStrategy`` run with several replicas on a machine without GPUs.
    """
    if count < 1:
        raise ValueError(f"cpu devices must be a positive integer, got {count}")
    cpu = tf.config.list_physical_devices("CPU")[0]
    if len(tf.config.get_logical_device_configuration(cpu) or []) == count:
        return  # already so (a second run in the same process)
    try:
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(count)]
        )
    except RuntimeError:
        raise ValueError(
            "cannot split the CPU into logical devices: TensorFlow is already initialised"
        ) from None


def make_strategy(name: str) -> tf.distribute.Strategy:
    """The strategy for ``default`` (no distribution), ``mirrored`` or ``multiworker``.

    ``mirrored`` uses every GPU, or every logical CPU device when there is no GPU.
    ``multiworker`` reads the cluster from the ``TF_CONFIG`` environment variable.
    """
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        gpus = tf.config.list_logical_devices("GPU")
        devices = [d.name for d in gpus or tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices)
    if name == "multiworker":
        if "TF_CONFIG" not in os.environ:
            raise ValueError("--strategy multiworker needs the TF_CONFIG environment variable")
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ValueError(f"unknown strategy {name!r}: choose one of {', '.join(STRATEGIES)}")


def is_chief() -> bool:
    """True for the worker that writes outputs (the chief, or worker 0 without a chief)."""
    config = json.loads(os.environ.get("TF_CONFIG", "{}"))
    task = config.get("task", {})
    if not task:
        return True
    if task.get("type") == "chief":
        return True
    return (
        task.get("type") == "worker"
        and task.get("index", 0) == 0
        and ("chief" not in config.get("cluster", {}))
    )


def distribute_dataset(strategy: tf.distribute.Strategy, dataset: tf.data.Dataset):
    """Shard a globally batched dataset by data (in-memory sources have no files to shard)."""
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return strategy.experimental_distribute_dataset(dataset.with_options(options))


def fit_distributed(
    model: Any,
    dataset: tf.data.Dataset,
    strategy: tf.distribute.Strategy,
    *,
    epochs: int,
    steps_per_epoch: int,
    initial_epoch: int = 0,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    verbose: bool = True,
) -> dict[str, list[float]]:
    """Train ``model`` (built under ``strategy.scope()``) with its own ``train_step``.

    ``dataset`` yields global batches, endlessly (``repeat()``). Callbacks run
    on every worker; give non-chief workers temporary output folders (see
    ``training.run``). Returns the per-epoch logs, like ``History.history``.
    """
    iterator = iter(distribute_dataset(strategy, dataset))

    @tf.function
    def train_step(it):
        outputs = strategy.run(model.train_step, args=(next(it),))
        return {
            name: strategy.reduce(tf.distribute.ReduceOp.MEAN, value, axis=None)
            for name, value in outputs.items()
        }

    callback_list = keras.callbacks.CallbackList(
        list(callbacks), model=model, epochs=epochs, steps=steps_per_epoch, verbose=0
    )
    history: dict[str, list[float]] = {}
    model.stop_training = False
    callback_list.on_train_begin()
    for epoch in range(initial_epoch, epochs):
        for metric in model.metrics:
            metric.reset_state()
        callback_list.on_epoch_begin(epoch)
        logs: dict[str, float] = {}
        for step in range(steps_per_epoch):
            callback_list.on_train_batch_begin(step)
            logs = {k: float(v) for k, v in train_step(iterator).items()}
            callback_list.on_train_batch_end(step, logs)
            if model.stop_training:
                break
        callback_list.on_epoch_end(epoch, logs)
        for k, v in logs.items():
            history.setdefault(k, []).append(v)
        if verbose and is_chief():
            shown = " - ".join(f"{k}: {v:.4f}" for k, v in sorted(logs.items()))
            print(f"Epoch {epoch + 1}/{epochs} - {shown}", flush=True)
        if model.stop_training:
            break
    callback_list.on_train_end()
    return history
