"""The training job behind ``train.py``: a config in, a run directory out.

Run directory layout (``runs/<model>-<dataset>-<timestamp>`` by default)::

    config.json               the options of the run
    logs/                     TensorBoard: train/ (epoch scalars), steps/, samples/
    samples/epoch_NNN.png     fixed-noise grids (and InfoGAN traversals); for image-to-image
                              models, fixed inputs beside their outputs and targets
    checkpoints/epoch_NNN.keras   full state after NNN epochs (atomic; the newest two kept)
    checkpoints/epoch_NNN_step_SSSSSS.keras   the same, SSSSSS steps into the next epoch
    model.keras               the final model
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import tensorflow as tf

from keras_gans import callbacks as cb
from keras_gans import data, distribute, evaluation
from keras_gans.config import (
    MODELS,
    PRECISION_POLICIES,
    ConfigError,
    TrainConfig,
    is_translation,
    resume_conflicts,
)
from keras_gans.models import BaseGAN, TranslationGAN

__all__ = [
    "MODELS",
    "ConfigError",
    "RunLock",
    "RunResult",
    "TrainConfig",
    "TrainingDiverged",
    "TrainingInterrupted",
    "build_model",
    "resolve_diffaugment",
    "restore_latest",
    "resume_conflicts",
    "run",
]

# Below this many training images, diffaugment="auto" turns on DiffAugment
# translation (Zhao et al. 2020 show the gains with 10k images and fewer).
SMALL_DATA_IMAGES = 10_000


class TrainingDiverged(RuntimeError):
    """Training stopped because a loss became NaN or infinite."""


class TrainingInterrupted(RuntimeError):
    """Training stopped on a signal (SIGINT, SIGTERM) after writing a checkpoint.

    ``signal`` is the signal's number (the conventional exit status is 128 plus
    it); the message says where training stopped and how to resume.
    """

    def __init__(self, signal_number: int, message: str) -> None:
        super().__init__(message)
        self.signal = signal_number


@dataclass
class RunResult:
    """What :func:`run` produced: the run directory, the trained model, the export if any."""

    run_dir: Path
    model: BaseGAN
    export_path: Path | None = None


def _hparams(config: TrainConfig) -> dict[str, Any]:
    """The options that define a run, for TensorBoard's HParams dashboard."""
    skip = {"run_dir", "runs_root", "resume", "export", "verbose", "num_samples", "log_every"}
    skip |= {"cpu_devices"}
    return {k: v for k, v in dataclasses.asdict(config).items() if k not in skip}


def resolve_diffaugment(policy: str | None, num_images: int | None) -> str | None:
    """The DiffAugment policy to train with.

    ``"auto"`` is ``"translation"`` for fewer than :data:`SMALL_DATA_IMAGES`
    training images and none otherwise (or when the count is unknown);
    ``"none"`` is none; a policy is returned as given.
    """
    if policy == "auto":
        small = num_images is not None and num_images < SMALL_DATA_IMAGES
        return "translation" if small else None
    return None if policy in (None, "none") else policy


def resolve_ema_decay(decay: float | str | None, model: str) -> float | None:
    """The EMA decay to train with: ``"auto"`` is the model class's ``auto_ema_decay``
    (0.999 for the noise-to-image models and SRGAN, none for Pix2Pix and CycleGAN,
    whose papers train without); 0 is none."""
    if decay == "auto":
        return MODELS[model].auto_ema_decay
    return decay or None


def build_model(
    config: TrainConfig,
    image_shape: tuple[int, int, int],
    num_classes: int | None = None,
    extras: dict[str, Any] | None = None,
) -> BaseGAN | TranslationGAN:
    """Create and compile the model a config asks for (``num_classes`` if conditional;
    ``extras``: an image-to-image model's data-dependent arguments, e.g. target channels)."""
    cls = MODELS[config.model]
    if is_translation(config.model):
        kwargs: dict[str, Any] = {
            "image_shape": image_shape,
            "seed": config.seed,
            "ema_decay": resolve_ema_decay(config.ema_decay, config.model),
            **config.model_options(),
            **(extras or {}),
        }
        return _compile(cls, kwargs, config)
    kwargs = {
        "latent_dim": config.latent_dim,
        "image_shape": image_shape,
        "seed": config.seed,
        "ema_decay": resolve_ema_decay(config.ema_decay, config.model),
        "spectral_norm": config.spectral_norm,
        "diffaugment": resolve_diffaugment(config.diffaugment, None),
        # an "auto" left unresolved (a caller of its own) takes the model's default
        **{k: v for k, v in config.model_options().items() if v != "auto"},
    }
    # "auto" is resolved by run() (resolve_conditional); a caller of its own that
    # leaves it conditions exactly when it passes num_classes.
    if config.conditional is True or (config.conditional == "auto" and num_classes is not None):
        if num_classes is None:
            raise ConfigError("a conditional model needs the number of classes")
        kwargs.update(num_classes=num_classes, conditioning=config.conditioning)
    return _compile(cls, kwargs, config)


def _compile(cls: type, kwargs: dict[str, Any], config: TrainConfig) -> BaseGAN | TranslationGAN:
    try:
        model = cls(**kwargs)
    except ValueError as e:
        raise ConfigError(str(e)) from None
    g_opt, d_opt = model.default_optimizers()
    if config.g_lr is not None:
        g_opt.learning_rate = config.g_lr
    if config.d_lr is not None:
        d_opt.learning_rate = config.d_lr
    jit = {"auto": "auto", "on": True, "off": False}[config.jit]
    model.compile(g_opt, d_opt, jit_compile=jit)
    return model


def _default_run_dir(config: TrainConfig, dataset_name: str) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return Path(config.runs_root) / f"{config.model}-{dataset_name}-{stamp}"


def _count_batches(ds: tf.data.Dataset) -> int:
    n = int(ds.cardinality())
    if n < 0:
        n = int(ds.reduce(0, lambda count, _: count + 1))
    return n


class RunLock:
    """One writer per run directory: ``RUN_DIR/.lock`` holds the writer's pid and host.

    A second process on a directory whose writer is alive is refused
    (:class:`ConfigError` naming it); a lock whose process is gone (a killed
    run) is taken over with a warning. The lock is created atomically
    (``O_EXCL``) and removed when the run ends, however it ends.
    """

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / ".lock"
        self.owner = f"{os.getpid()} {socket.gethostname()}"

    def acquire(self) -> RunLock:
        """Take the lock or raise :class:`ConfigError`; returns ``self``."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        while True:
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                pid, host = self._holder()
                if pid is not None and (host != socket.gethostname() or _alive(pid)):
                    where = "" if host == socket.gethostname() else f" on {host}"
                    raise ConfigError(
                        f"{self.run_dir} is in use by another training process (pid {pid}"
                        f"{where}): wait for it to end, or choose another --run-dir"
                    ) from None
                print(
                    f"warning: {self.path} was left by pid {pid}, which is no longer running: "
                    "taking the run directory over"
                )
                self.path.unlink(missing_ok=True)
                continue
            with os.fdopen(fd, "w") as f:
                f.write(self.owner)
            return self

    def release(self) -> None:
        """Remove the lock if this process still holds it."""
        try:
            if self.path.read_text() == self.owner:
                self.path.unlink()
        except OSError:
            pass

    def _holder(self) -> tuple[int | None, str | None]:
        try:
            pid, host = self.path.read_text().split(" ", 1)
            return int(pid), host
        except (OSError, ValueError):  # vanished or unreadable: nobody to wait for
            return None, None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True


def run(config: TrainConfig, callbacks: Sequence[keras.callbacks.Callback] = ()) -> RunResult:
    """Train a GAN as ``config`` says; return the run directory and the trained model.

    With ``config.resume`` and an existing ``run_dir``, continue from its last
    checkpoint: epoch numbering, TensorBoard steps and sample grids carry on.
    With ``config.seed``, op determinism is enabled so that a resumed run ends
    with the same weights as an uninterrupted one. ``callbacks`` are added to
    the run's own. The run directory is locked for the run (:class:`RunLock`),
    so a second process cannot write into it at the same time.
    """
    locks: list[RunLock] = []
    try:
        return _Run(config, locks, list(callbacks)).execute()
    finally:
        for lock in locks:
            lock.release()


@dataclass
class _Data:
    # A new pipeline per use: a shuffled tf.data pipeline reshuffles for each new
    # iterator of the same object, so every fit (and the batch count) gets its
    # own, which keeps a resumed run's batches those of an uninterrupted one.
    make: Callable[[], tf.data.Dataset]
    info: data.DatasetInfo
    num_classes: int | None
    image_shape: tuple[int, int, int]
    steps_per_epoch: int
    extras: dict[str, Any] = dataclasses.field(default_factory=dict)


class _Run:
    """The phases of :func:`run`, in order: options, strategy, data, model, callbacks,
    training (with rollbacks), outputs."""

    def __init__(
        self, config: TrainConfig, locks: list[RunLock], extra: list[keras.callbacks.Callback]
    ) -> None:
        self.config, self.locks, self.extra = config, locks, extra

    def execute(self) -> RunResult:
        self.config = _resolve_options(self.config)
        self._start_strategy()
        self.data = self._load_data()
        self.run_dir = self.run_dir or _default_run_dir(self.config, self.data.info.name)
        if self.chief and not self.locks:  # a new, timestamped run directory
            self.locks.append(RunLock(self.run_dir).acquire())
        self.position, self.model = self._restore_or_build()
        # Only the chief writes the run directory; other workers write to a
        # temporary folder that is removed at the end (TensorFlow's prescription).
        self.out_dir = (
            self.run_dir if self.chief else Path(tempfile.mkdtemp(prefix="keras_gans_worker_"))
        )
        self.out_dir.mkdir(parents=True, exist_ok=True)
        _write_json(self.out_dir / "config.json", dataclasses.asdict(self.config))
        self.guard = cb.DivergenceGuard(self.config.loss_bound, self.config.loss_bound_patience)
        self.stop = cb.StopRequest()
        self.checkpoint = cb.GANCheckpoint(
            self.out_dir / "checkpoints",
            guard=self.guard,
            every=self.config.checkpoint_every,
            stop=self.stop,
        )
        self.callbacks = self._callbacks()
        elapsed = self._train()
        return self._finish(elapsed)

    def _start_strategy(self) -> None:
        config = self.config
        if config.cpu_devices:
            try:
                distribute.configure_cpu_devices(config.cpu_devices)
            except ValueError as e:
                raise ConfigError(str(e)) from None
        try:
            self.strategy = distribute.make_strategy(config.strategy)
        except ValueError as e:
            raise ConfigError(str(e)) from None
        self.multiworker = isinstance(self.strategy, tf.distribute.MultiWorkerMirroredStrategy)
        self.chief = distribute.is_chief() if self.multiworker else True
        self.run_dir = Path(config.run_dir) if config.run_dir else None
        if self.chief and self.run_dir is not None:  # other workers write elsewhere
            self.locks.append(RunLock(self.run_dir).acquire())
        if config.seed is not None:
            keras.utils.set_random_seed(config.seed)
            tf.config.experimental.enable_op_determinism()
        keras.config.set_dtype_policy(PRECISION_POLICIES[config.mixed_precision])

    def _load_data(self) -> _Data:
        if is_translation(self.config.model):
            return self._load_pairs()
        config = self.config
        source = {"split": config.split, "data_dir": config.data_dir}
        info = data.describe_source(config.dataset, **source)
        # count_classes says so when the data set has no labels.
        num_classes = data.count_classes(config.dataset, **source) if config.conditional else None

        def make() -> tf.data.Dataset:
            return data.load_dataset(
                config.dataset,
                image_size=config.image_size,
                channels=config.channels,
                batch_size=config.batch_size,
                shuffle=True,
                seed=config.seed,
                with_labels=config.conditional,
                **source,
            )

        dataset = make()
        image_spec = dataset.element_spec[0] if config.conditional else dataset.element_spec
        steps_per_epoch = _count_batches(dataset)
        if steps_per_epoch < 1:
            raise ConfigError("the data set yields no full batch: lower --batch-size")
        # Recorded resolved in config.json, so a resumed run augments the same way.
        epoch_images = steps_per_epoch * config.batch_size
        self.config = dataclasses.replace(
            config,
            diffaugment=resolve_diffaugment(config.diffaugment, epoch_images),
            schedule_images=(
                config.epochs * epoch_images
                if config.schedule_images == "auto"
                and "schedule_images" in MODELS[config.model].train_options
                else config.schedule_images
            ),
        )
        shape = tuple(int(d) for d in image_spec.shape[1:])
        return _Data(make, info, num_classes, shape, steps_per_epoch)

    def _load_pairs(self) -> _Data:
        """Image pairs for Pix2Pix (paired), CycleGAN (unpaired) or SRGAN (made from images)."""
        config = self.config
        common = dict(
            image_size=config.image_size,
            channels=config.channels,
            batch_size=config.batch_size,
            shuffle=True,
            seed=config.seed,
        )

        def make() -> tf.data.Dataset:
            if config.model == "pix2pix":
                return data.load_paired(config.dataset, reverse=config.reverse, **common)
            if config.model == "cyclegan":
                return data.load_unpaired(config.dataset, data_dir=config.data_dir, **common)
            images = data.load_dataset(
                config.dataset, split=config.split, data_dir=config.data_dir, **common
            )
            return data.superresolution_pairs(images, config.scale)

        dataset = make()
        source, target = (tuple(int(d) for d in spec.shape[1:]) for spec in dataset.element_spec)
        steps_per_epoch = _count_batches(dataset)
        if steps_per_epoch < 1:
            raise ConfigError("the data set yields no full batch: lower --batch-size")
        extras = {
            "pix2pix": {"target_channels": target[2]},
            "cyclegan": {"channels_b": target[2]},
            "srgan": {},
        }[config.model]
        shape = target if config.model == "srgan" else source
        name = Path(config.dataset).name if Path(config.dataset).exists() else config.dataset
        info = data.DatasetInfo("pairs", name.replace("/", "_"), None, shape, False)
        return _Data(make, info, None, shape, steps_per_epoch, extras)

    def _restore_or_build(self) -> tuple[cb.Position, BaseGAN]:
        checkpoint_dir = self.run_dir / "checkpoints"
        with self.strategy.scope():
            restored = restore_latest(checkpoint_dir) if self.config.resume else None
            if restored is not None:
                position, model, path = restored
                print(f"resuming from {path} ({_where(position, self.data.steps_per_epoch)})")
                if position.step >= self.data.steps_per_epoch:
                    raise ConfigError(
                        f"{path} is {position.step} steps into an epoch, but an epoch of this "
                        f"data set has {self.data.steps_per_epoch}: the data changed"
                    )
                return position, model
            if self.config.resume:
                print(f"no checkpoint in {checkpoint_dir}: starting from epoch 0")
            model = build_model(
                self.config, self.data.image_shape, self.data.num_classes, self.data.extras
            )
            return cb.Position(0, 0), model

    def _callbacks(self) -> list[keras.callbacks.Callback]:
        config, out_dir = self.config, self.out_dir
        log_dir = out_dir / "logs"
        callbacks: list[keras.callbacks.Callback] = []
        if config.eval_every:
            classifier, reference, reference_labels = _domain_classifier(
                config, out_dir, self.data.info, self.data.image_shape
            )
            callbacks.append(
                cb.EvaluationCallback(
                    reference,
                    classifier,
                    every=config.eval_every,
                    num_samples=config.eval_samples,
                    real_labels=reference_labels if config.conditional else None,
                )
            )
        if config.diagnostics and not is_translation(config.model):
            real = next(iter(self.data.make().unbatch().batch(64).take(1)))
            real, labels = real if config.conditional else (real, None)
            labels = None if labels is None else labels.numpy()
            callbacks.insert(
                0, cb.Diagnostics(real.numpy(), log_dir / "diagnostics", real_labels=labels)
            )
        return [
            *callbacks,
            self.guard,
            cb.TensorBoard(log_dir=str(log_dir), update_freq="epoch"),
            cb.StepScalars(log_dir / "steps", every=config.log_every),
            self._sample_grid(out_dir / "samples", log_dir / "samples"),
            self.checkpoint,
            cb.RunSummary(log_dir, _hparams(config), self.run_dir.name),
            *self.extra,
        ]

    def _sample_grid(self, sample_dir: Path, log_dir: Path) -> keras.callbacks.Callback:
        config = self.config
        if is_translation(config.model):
            rows = max(1, min(8, config.num_samples // 3))
            pairs = self.data.make().unbatch().batch(rows).take(1).get_single_element()
            return cb.TranslationGrid(sample_dir, log_dir, pairs=tuple(p.numpy() for p in pairs))
        return cb.SampleGrid(
            sample_dir,
            log_dir,
            num_images=config.num_samples,
            seed=config.seed if config.seed is not None else 1234,
        )

    def _fit(self, position: cb.Position, verbose: int) -> None:
        """Train from ``position`` on one endless pipeline, skipped forward on resume:
        the same batches in the same order as an uninterrupted run. A position
        inside an epoch first finishes that epoch (its own ``fit`` of the
        remaining steps, the metric totals carried on), then trains the rest."""
        config, steps = self.config, self.data.steps_per_epoch
        epoch, step = position
        if step:
            self.checkpoint.step_offset = step
            self.checkpoint.metric_states = _metric_states(self.checkpoint.directory, position)
            self._fit_epochs(epoch, epoch + 1, epoch * steps + step, steps - step, verbose)
            if self.model.stop_training:
                return
            epoch += 1
        if epoch < config.epochs:
            self._fit_epochs(epoch, config.epochs, epoch * steps, steps, verbose)

    def _fit_epochs(self, first: int, end: int, skip: int, steps: int, verbose: int) -> None:
        train_data = self.data.make().repeat().skip(skip)
        arguments = dict(
            epochs=end, initial_epoch=first, steps_per_epoch=steps, callbacks=self.callbacks
        )
        if self.multiworker:
            distribute.fit_distributed(
                self.model, train_data, self.strategy, verbose=bool(verbose), **arguments
            )
        else:
            self.model.fit(train_data, verbose=verbose, shuffle=False, **arguments)

    def _train(self) -> float:
        """Train to ``epochs``; on divergence roll back to the last good checkpoint
        with lower learning rates, at most ``max_retries`` times; on SIGINT or
        SIGTERM stop after the current step with a checkpoint. Returns seconds."""
        config, guard = self.config, self.guard
        verbose = config.verbose
        if verbose == "auto":
            verbose = 1 if sys.stdout.isatty() else 2
        start = time.time()
        events = _EventLog(self.out_dir, self.out_dir / "logs" / "events")
        retries, position = 0, self.position
        # Workers would stop at different steps and wait on each other's
        # all-reduce: a multi-worker run keeps the default handlers (see README).
        with _StopOnSignals(self.stop, enabled=not self.multiworker):
            while True:
                if position < (config.epochs, 0):
                    self._fit(position, verbose)
                if self.stop.requested:
                    events.close()
                    self._interrupted()
                if not guard.triggered:
                    break
                if retries >= config.max_retries:
                    events.write(
                        position.epoch,
                        f"divergence: {guard.reason}; retry limit ({config.max_retries}) "
                        "reached, stopping",
                    )
                    raise TrainingDiverged(
                        f"training diverged ({guard.reason}) and {config.max_retries} "
                        f"rollback(s) did not help; last good checkpoint in "
                        f"{self.out_dir / 'checkpoints'}"
                    )
                retries += 1
                with self.strategy.scope():
                    restored = restore_latest(self.out_dir / "checkpoints")
                    if restored is None:
                        position = cb.Position(0, 0)
                        self.model = build_model(
                            config, self.data.image_shape, self.data.num_classes, self.data.extras
                        )
                    else:
                        position, self.model, _ = restored
                for optimizer in (self.model.g_optimizer, self.model.d_optimizer):
                    lr = float(optimizer.learning_rate) * config.retry_lr_factor
                    optimizer.learning_rate = lr
                events.write(
                    position.epoch,
                    f"divergence: {guard.reason}; rollback {retries}/{config.max_retries} to "
                    f"{_where(position, self.data.steps_per_epoch)}, learning rates "
                    f"x{config.retry_lr_factor:g}",
                )
                guard.reset()
        events.close()
        return time.time() - start

    def _interrupted(self) -> None:
        """Raise :class:`TrainingInterrupted` saying where the run stopped (a stop
        that came with the last step of training lets the run finish instead)."""
        stopped = self.stop.stopped_at or cb.latest_checkpoint(self.out_dir / "checkpoints")
        if stopped is not None and stopped[0] >= (self.config.epochs, 0):
            return
        name = signal.Signals(self.stop.signal).name
        if stopped is None:
            where = "before the first checkpoint; nothing to resume from"
        else:
            where = f"at {_where(stopped[0], self.data.steps_per_epoch)}; checkpoint {stopped[1]}"
        resume = f"python train.py --resume --run-dir {self.run_dir}"
        raise TrainingInterrupted(
            self.stop.signal, f"stopped by {name} {where}; resume with: {resume}"
        )

    def _finish(self, elapsed: float) -> RunResult:
        """Write model.keras (atomically) and the export; print the summary."""
        run_dir = self.run_dir
        if not self.chief:
            shutil.rmtree(self.out_dir, ignore_errors=True)
            return RunResult(run_dir, self.model)
        final, tmp = run_dir / "model.keras", run_dir / ".model.tmp.keras"
        try:
            self.model.save(tmp)
            os.replace(tmp, final)
        except OSError as e:
            tmp.unlink(missing_ok=True)
            raise cb.WriteError(final, e) from None
        export_path = None
        if self.config.export:
            from keras_gans.export import export_generator

            export = self.config.export
            target = Path("saved_models") / run_dir.name if export == "auto" else export
            export_path = export_generator(self.model, target)
        _summary(run_dir, final, export_path, elapsed)
        return RunResult(run_dir, self.model, export_path)


def restore_latest(directory: Path) -> tuple[cb.Position, BaseGAN, Path] | None:
    """``(position, model, path)`` from the newest readable checkpoint; None if none exists.

    A checkpoint that does not load (cut short by a full disk, damaged) is
    skipped with a warning naming it, for the one before. If checkpoints exist
    but none loads, :class:`ConfigError` says so, and nothing is written.
    """
    found = cb.checkpoints(directory)
    for position, path in reversed(found):
        try:
            return position, keras.saving.load_model(path), path
        except Exception as e:  # any failure to read means: try the previous one
            reason = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
            print(f"warning: checkpoint {path} is unreadable ({reason}); trying the previous one")
    if found:
        raise ConfigError(
            f"no readable checkpoint in {directory} ({len(found)} tried): cannot resume"
        )
    return None


def _where(position: cb.Position, steps_per_epoch: int) -> str:
    """``epoch 3`` (3 whole epochs done) or ``epoch 4, step 50 of 313``."""
    if not position.step:
        return f"epoch {position.epoch}"
    return f"epoch {position.epoch + 1}, step {position.step} of {steps_per_epoch}"


def _metric_states(directory: Path, position: cb.Position) -> dict[str, list[float]] | None:
    """The metric totals saved beside a checkpoint inside an epoch, if readable."""
    path = directory / cb.checkpoint_name(position)
    try:
        return json.loads(path.with_suffix(".json").read_text())["metrics"]
    except (OSError, ValueError, KeyError):
        print(f"warning: no metric totals beside {path}: this epoch's means restart")
        return None


class _StopOnSignals:
    """While active, SIGINT and SIGTERM ask ``stop`` for a stop after the current step.

    A second signal while the checkpoint is written is reported and ignored (the
    write is atomic anyway). Outside the main thread, signals are left alone.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self, stop: cb.StopRequest, enabled: bool = True) -> None:
        self.stop, self.enabled = stop, enabled
        self.previous: dict[int, Any] = {}

    def _handle(self, signal_number: int, frame: Any) -> None:
        name = signal.Signals(signal_number).name
        if self.stop.requested:
            print(f"\n{name} again: already stopping, the checkpoint is being written", flush=True)
            return
        self.stop.request(signal_number)
        print(f"\n{name}: stopping after this step and writing a checkpoint", flush=True)

    def __enter__(self) -> _StopOnSignals:
        if self.enabled and threading.current_thread() is threading.main_thread():
            for number in self.SIGNALS:
                self.previous[number] = signal.signal(number, self._handle)
        return self

    def __exit__(self, *exc: Any) -> None:
        for number, handler in self.previous.items():
            signal.signal(number, handler)


def _resolve_options(config: TrainConfig) -> TrainConfig:
    """Validate; on ``--resume``, the run's own options from its config.json instead;
    ``auto`` options (batch size, conditioning) resolved, as config.json records them."""
    config.validate()
    if not config.resume:
        return _resolve_auto(config)
    run_dir = Path(config.run_dir)
    saved = run_dir / "config.json"
    if not saved.exists():
        raise ConfigError(f"cannot resume: no config.json in {run_dir}")
    # The run's own options win, except how long to train, how often to checkpoint
    # and where to export, when given (left at their defaults, the run's own).
    fields = {f.name: f for f in dataclasses.fields(TrainConfig)}
    stored = {k: v for k, v in json.loads(saved.read_text()).items() if k in fields}

    def given_or_stored(name: str) -> Any:
        value = getattr(config, name)
        return stored.get(name, value) if value == _field_default(fields[name]) else value

    keep = {
        "epochs": given_or_stored("epochs"),
        "checkpoint_every": given_or_stored("checkpoint_every"),
        "export": config.export,
        "verbose": config.verbose,
        "run_dir": str(run_dir),
        "resume": True,
    }
    conflicts = resume_conflicts(config, stored, ignore=keep)
    if conflicts:
        raise ConfigError(
            f"--resume continues {run_dir} with the options in its config.json, and these "
            f"differ from it: {'; '.join(conflicts)}; drop them, or train a new --run-dir"
        )
    config = TrainConfig(**{**stored, **keep})
    config.validate()
    return _resolve_auto(config)


def _resolve_auto(config: TrainConfig) -> TrainConfig:
    """``auto`` options resolved (config.json records what ran): the batch size and
    class conditioning."""
    if config.batch_size == "auto":
        config = dataclasses.replace(config, batch_size=MODELS[config.model].default_batch_size)
    return dataclasses.replace(config, conditional=resolve_conditional(config))


def resolve_conditional(config: TrainConfig) -> bool:
    """``--conditional auto``: on for the embedded digits when the model can condition
    (the first run then draws labelled digits), off for every other data set."""
    if config.conditional != "auto":
        return bool(config.conditional)
    return config.dataset == "digits" and MODELS[config.model].can_condition


def _field_default(f: dataclasses.Field) -> Any:
    return f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default


def _domain_classifier(
    config: TrainConfig, out_dir: Path, info: data.DatasetInfo, image_shape: tuple[int, ...]
):
    """The run's domain classifier (trained once, kept in the run dir) and reference images."""
    if not info.has_labels:
        raise ConfigError(f"--eval-every needs a labelled data set; {config.dataset} has no labels")
    images, labels = data.load_arrays(
        config.dataset,
        10_000,
        split=config.split,
        image_size=image_shape[0],
        channels=image_shape[2],
        with_labels=True,
        data_dir=config.data_dir,
    )
    classifier = evaluation.load_or_train_classifier(
        out_dir / "domain_classifier.keras", images, labels
    )
    return classifier, images[:2000], labels[:2000]


class _EventLog:
    """Training events (divergence, rollback) to the console, ``events.log`` and TensorBoard."""

    def __init__(self, run_dir: Path, log_dir: Path) -> None:
        self.path = run_dir / "events.log"
        self.log_dir = log_dir
        self._writer = None
        self.count = 0

    def write(self, epoch: int, message: str) -> None:
        self.count += 1
        line = f"{time.strftime('%Y-%m-%dT%H:%M:%S')} epoch {epoch}: {message}"
        print(line, flush=True)
        with open(self.path, "a") as f:
            f.write(line + "\n")
        if self._writer is None:
            self._writer = tf.summary.create_file_writer(str(self.log_dir))
        with self._writer.as_default():
            tf.summary.text("events", message, step=epoch)
            tf.summary.scalar("events/count", self.count, step=epoch)
        self._writer.flush()

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


def _write_json(path: Path, payload: dict) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)


def _summary(run_dir: Path, final: Path, export_path: Path | None, elapsed: float) -> None:
    samples = sorted((run_dir / "samples").glob("epoch_*.png"))
    lines = [
        f"done in {elapsed:.0f} s",
        f"run directory: {run_dir}",
        f"TensorBoard:   tensorboard --logdir {run_dir / 'logs'}",
        f"samples:       {samples[-1] if samples else run_dir / 'samples'}",
        f"model:         {final}",
    ]
    if export_path is not None:
        lines.append(f"SavedModel:    {export_path}")
    print("\n".join(lines))
