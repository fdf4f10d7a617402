"""The training job behind ``train.py``: a config in, a run directory out.

Run directory layout (``runs/<model>-<dataset>-<timestamp>`` by default)::

    config.json               the options of the run
    logs/                     TensorBoard: train/ (epoch scalars), steps/, samples/
    samples/epoch_NNN.png     fixed-noise grids (and InfoGAN traversals)
    checkpoints/epoch_NNN.keras   full state after each epoch (atomic)
    model.keras               the final model
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import tensorflow as tf

from keras_gans import augment, data, distribute, evaluation, health, networks
from keras_gans import callbacks as cb
from keras_gans.models import DCGAN, GAN, WGANGP, BaseGAN, InfoGAN
from keras_gans.models.gan import validate_objective

MODELS: dict[str, type[BaseGAN]] = {
    "gan": GAN,
    "dcgan": DCGAN,
    "infogan": InfoGAN,
    "wgan-gp": WGANGP,
}
PRECISION_POLICIES = {"off": "float32", "bf16": "mixed_bfloat16", "fp16": "mixed_float16"}
# Below this many training images, diffaugment="auto" turns on DiffAugment
# translation (Zhao et al. 2020 show the gains with 10k images and fewer).
SMALL_DATA_IMAGES = 10_000


class ConfigError(ValueError):
    """An invalid option; the message names it."""


@dataclass
class TrainConfig:
    """Options of one training run (what ``train.py`` parses)."""

    model: str = "dcgan"
    dataset: str = "digits"
    data_dir: str | None = None
    split: str = "train"
    epochs: int = 120
    batch_size: int = 32
    latent_dim: int | None = None
    image_size: int | None = None
    channels: int | None = None
    g_lr: float | None = None
    d_lr: float | None = None
    seed: int | None = None
    run_dir: str | None = None
    runs_root: str = "runs"
    export: str | None = None
    jit: str = "auto"
    mixed_precision: str = "off"
    resume: bool = False
    loss: str = "non-saturating"
    r1: float = 0.0
    r2: float = 0.0
    reg_interval: int = 1
    critic_steps: int = 5
    gp_weight: float = 10.0
    info_weight: float = 1.0
    continuous_weight: float = 1.0
    categorical_codes: list[int] = field(default_factory=lambda: [10])
    continuous_codes: int = 2
    sample_every_steps: int = 50
    num_samples: int = 64
    strategy: str = "default"
    cpu_devices: int | None = None
    ema_decay: float | None = 0.999
    conditional: bool = False
    conditioning: str = "projection"
    spectral_norm: bool = False
    diffaugment: str | None = "auto"
    max_retries: int = 2
    retry_lr_factor: float = 0.5
    loss_bound: float = 1e4
    loss_bound_patience: int = 20
    diagnostics: bool = True
    eval_every: int | None = None
    eval_samples: int = 1000
    inject_nan_at_step: int | None = None  # testing hook: poison D after this G step
    inject_nan_times: int = 1
    verbose: int | str = "auto"

    def validate(self) -> None:
        """Raise :class:`ConfigError` naming the first invalid option."""
        if self.model not in MODELS:
            raise ConfigError(f"unknown model {self.model!r}: choose one of {', '.join(MODELS)}")
        for name in ("epochs", "batch_size", "critic_steps", "sample_every_steps", "num_samples"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ConfigError(f"{name} must be a positive integer, got {value!r}")
        if self.latent_dim is not None and (
            not isinstance(self.latent_dim, int) or self.latent_dim < 1
        ):
            raise ConfigError(f"latent_dim must be a positive integer, got {self.latent_dim!r}")
        for name in ("g_lr", "d_lr"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ConfigError(f"{name} must be positive, got {value!r}")
        if not all(w >= 0 for w in (self.gp_weight, self.info_weight, self.continuous_weight)):
            raise ConfigError("gp_weight, info_weight and continuous_weight must be non-negative")
        if self.image_size is not None and self.image_size not in networks.SUPPORTED_SIZES:
            sizes = ", ".join(str(s) for s in networks.SUPPORTED_SIZES)
            raise ConfigError(f"unsupported image size {self.image_size}: choose one of {sizes}")
        if self.jit not in ("auto", "on", "off"):
            raise ConfigError(f"jit must be auto, on or off, got {self.jit!r}")
        if self.mixed_precision not in PRECISION_POLICIES:
            raise ConfigError(
                f"mixed_precision must be off, bf16 or fp16, got {self.mixed_precision!r}"
            )
        if self.strategy not in distribute.STRATEGIES:
            choices = ", ".join(distribute.STRATEGIES)
            raise ConfigError(f"unknown strategy {self.strategy!r}: choose one of {choices}")
        if self.ema_decay is not None and not 0 < self.ema_decay < 1:
            raise ConfigError(f"ema_decay must be in (0, 1), got {self.ema_decay!r}")
        if self.max_retries < 0 or not 0 < self.retry_lr_factor <= 1:
            raise ConfigError("max_retries must be >= 0 and retry_lr_factor in (0, 1]")
        if self.cpu_devices is not None and self.cpu_devices < 1:
            raise ConfigError(f"cpu_devices must be a positive integer, got {self.cpu_devices}")
        if self.continuous_codes < 0 or any(k < 2 for k in self.categorical_codes):
            raise ConfigError("InfoGAN codes: categorical sizes >= 2, continuous count >= 0")
        if self.diffaugment not in (None, "auto", "none"):
            try:
                augment.parse_policy(self.diffaugment)
            except ValueError as e:
                raise ConfigError(str(e)) from None
        if self.model in ("gan", "dcgan"):
            try:
                validate_objective(self.loss, self.r1, self.r2, self.reg_interval)
            except ValueError as e:
                raise ConfigError(str(e)) from None
        elif (self.loss, self.r1, self.r2, self.reg_interval) != ("non-saturating", 0.0, 0.0, 1):
            raise ConfigError(
                f"--loss, --r1, --r2 and --reg-interval are for gan and dcgan, not {self.model}"
            )
        if self.conditional and self.model == "infogan":
            raise ConfigError("--conditional is for gan, dcgan and wgan-gp, not infogan")
        if self.conditioning not in networks.CONDITIONING_MODES:
            choices = ", ".join(networks.CONDITIONING_MODES)
            raise ConfigError(
                f"unknown conditioning {self.conditioning!r}: choose one of {choices}"
            )


def _hparams(config: TrainConfig) -> dict[str, Any]:
    """The options that define a run, for TensorBoard's HParams dashboard."""
    skip = {"run_dir", "runs_root", "resume", "export", "verbose", "inject_nan_at_step"}
    skip |= {"inject_nan_times", "num_samples", "sample_every_steps", "cpu_devices"}
    return {k: v for k, v in dataclasses.asdict(config).items() if k not in skip}


def resume_conflicts(
    config: TrainConfig, stored: dict[str, Any], ignore: Collection[str] = ()
) -> list[str]:
    """Options set away from their defaults in ``config`` that a resumed run would ignore.

    ``stored`` is the run's config.json. An option counts when it is not the
    default and not the stored value, so a resumed run never silently trains
    something other than what the user asked for (e.g. ``--model wgan-gp`` on
    a DCGAN run). Returns one ``"name (given X, the run has Y)"`` per option.
    """
    out = []
    for f in dataclasses.fields(TrainConfig):
        if f.name in ignore or f.name in ("runs_root", "run_dir", "resume"):
            continue
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        given = getattr(config, f.name)
        if given != default and given != stored.get(f.name, default):
            out.append(f"{f.name} (given {given!r}, the run has {stored.get(f.name, default)!r})")
    return out


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


def build_model(
    config: TrainConfig, image_shape: tuple[int, int, int], num_classes: int | None = None
) -> BaseGAN:
    """Create and compile the model a config asks for (``num_classes`` if conditional)."""
    cls = MODELS[config.model]
    kwargs: dict[str, Any] = {
        "latent_dim": config.latent_dim,
        "image_shape": image_shape,
        "seed": config.seed,
        "ema_decay": config.ema_decay,
        "spectral_norm": config.spectral_norm,
        # run() resolves "auto" from the data set's size before building.
        "diffaugment": resolve_diffaugment(config.diffaugment, None),
    }
    if config.conditional:
        if num_classes is None:
            raise ConfigError("a conditional model needs the number of classes")
        kwargs.update(num_classes=num_classes, conditioning=config.conditioning)
    if config.model in ("gan", "dcgan"):
        kwargs.update(
            adversarial_loss=config.loss,
            r1_gamma=config.r1,
            r2_gamma=config.r2,
            reg_interval=config.reg_interval,
        )
    if cls is WGANGP:
        kwargs.update(critic_steps=config.critic_steps, gp_weight=config.gp_weight)
    if cls is InfoGAN:
        kwargs.update(
            categorical_codes=config.categorical_codes,
            continuous_codes=config.continuous_codes,
            info_weight=config.info_weight,
            continuous_weight=config.continuous_weight,
        )
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


def run(config: TrainConfig) -> Path:
    """Train a GAN as ``config`` says and return the run directory (see :func:`_run`).

    The run directory is locked for the run (:class:`RunLock`), so a second
    process cannot write into it at the same time.
    """
    locks: list[RunLock] = []
    try:
        return _run(config, locks)
    finally:
        for lock in locks:
            lock.release()


def _run(config: TrainConfig, locks: list[RunLock]) -> Path:
    """Train a GAN as ``config`` says and return the run directory.

    With ``config.resume`` and an existing ``run_dir``, continue from its last
    checkpoint: epoch numbering, TensorBoard steps and sample grids carry on.
    With ``config.seed``, op determinism is enabled so that a resumed run ends
    with the same weights as an uninterrupted one.
    """
    config.validate()
    if config.resume and not config.run_dir:
        raise ConfigError("--resume needs --run-dir (the run directory to continue)")
    run_dir = Path(config.run_dir) if config.run_dir else None
    if config.resume:
        saved = run_dir / "config.json"
        if not saved.exists():
            raise ConfigError(f"cannot resume: no config.json in {run_dir}")
        # The run's own options win, except how long to train and where to export.
        stored = json.loads(saved.read_text())
        keep = {
            "epochs": config.epochs,
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

    if config.cpu_devices:
        try:
            distribute.configure_cpu_devices(config.cpu_devices)
        except ValueError as e:
            raise ConfigError(str(e)) from None
    try:
        strategy = distribute.make_strategy(config.strategy)
    except ValueError as e:
        raise ConfigError(str(e)) from None
    multiworker = isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
    chief = distribute.is_chief() if multiworker else True
    if chief and run_dir is not None:  # other workers of a multi-worker run write elsewhere
        locks.append(RunLock(run_dir).acquire())
    if config.seed is not None:
        keras.utils.set_random_seed(config.seed)
        tf.config.experimental.enable_op_determinism()
    keras.config.set_dtype_policy(PRECISION_POLICIES[config.mixed_precision])

    info = data.describe_source(config.dataset, split=config.split, data_dir=config.data_dir)
    num_classes = None
    if config.conditional:  # count_classes says so when the data set has no labels
        num_classes = data.count_classes(
            config.dataset, split=config.split, data_dir=config.data_dir
        )
    dataset = data.load_dataset(
        config.dataset,
        split=config.split,
        image_size=config.image_size,
        channels=config.channels,
        batch_size=config.batch_size,
        shuffle=True,
        seed=config.seed,
        with_labels=config.conditional,
        data_dir=config.data_dir,
    )
    image_spec = dataset.element_spec[0] if config.conditional else dataset.element_spec
    image_shape = tuple(int(d) for d in image_spec.shape[1:])
    steps_per_epoch = _count_batches(dataset)
    if steps_per_epoch < 1:
        raise ConfigError("the data set yields no full batch: lower --batch-size")
    # Recorded resolved in config.json, so a resumed run augments the same way.
    config = dataclasses.replace(
        config,
        diffaugment=resolve_diffaugment(config.diffaugment, steps_per_epoch * config.batch_size),
    )

    run_dir = run_dir or _default_run_dir(config, info.name)
    if chief and not locks:  # a new, timestamped run directory
        locks.append(RunLock(run_dir).acquire())
    checkpoint_dir = run_dir / "checkpoints"
    initial_epoch = 0
    latest = cb.latest_checkpoint(checkpoint_dir) if config.resume else None
    with strategy.scope():
        if latest is not None:
            initial_epoch, path = latest
            model = keras.saving.load_model(path)
            print(f"resuming from {path} (epoch {initial_epoch})")
        else:
            if config.resume:
                print(f"no checkpoint in {checkpoint_dir}: starting from epoch 0")
            model = build_model(config, image_shape, num_classes)
    # Only the chief writes the run directory; other workers write to a
    # temporary folder that is removed at the end (TensorFlow's prescription).
    out_dir = run_dir if chief else Path(tempfile.mkdtemp(prefix="keras_gans_worker_"))
    out_dir.mkdir(parents=True, exist_ok=True)
    _write_json(out_dir / "config.json", dataclasses.asdict(config))

    log_dir = out_dir / "logs"
    guard = health.DivergenceGuard(config.loss_bound, config.loss_bound_patience)
    callbacks: list[keras.callbacks.Callback] = []
    if config.diagnostics:
        real = next(iter(dataset.unbatch().batch(64).take(1)))
        real, real_labels = real if config.conditional else (real, None)
        callbacks.append(
            health.Diagnostics(
                real.numpy(),
                log_dir / "diagnostics",
                real_labels=None if real_labels is None else real_labels.numpy(),
            )
        )
    callbacks += [
        guard,
        keras.callbacks.TensorBoard(log_dir=str(log_dir), update_freq="epoch"),
        cb.StepScalars(log_dir / "steps", every=config.sample_every_steps),
        cb.SampleGrid(
            out_dir / "samples",
            log_dir / "samples",
            num_images=config.num_samples,
            seed=config.seed if config.seed is not None else 1234,
        ),
        cb.GANCheckpoint(out_dir / "checkpoints", guard=guard),
        cb.RunSummary(log_dir, _hparams(config), run_dir.name),
    ]
    if config.eval_every:
        classifier, reference, reference_labels = _domain_classifier(
            config, out_dir, info, image_shape
        )
        evaluator = evaluation.EvaluationCallback(
            reference,
            classifier,
            every=config.eval_every,
            num_samples=config.eval_samples,
            real_labels=reference_labels if config.conditional else None,
        )
        callbacks.insert(1 if config.diagnostics else 0, evaluator)
    if config.inject_nan_at_step is not None:
        callbacks.append(health.InjectNaN(config.inject_nan_at_step, config.inject_nan_times))
    verbose = config.verbose
    if verbose == "auto":
        verbose = 1 if sys.stdout.isatty() else 2
    start = time.time()
    events = _EventLog(out_dir, log_dir / "events")
    retries = 0
    while True:
        # One endless pipeline, skipped forward on resume: the same batches in
        # the same order as an uninterrupted run.
        train_data = dataset.repeat()
        if initial_epoch:
            train_data = train_data.skip(initial_epoch * steps_per_epoch)
        if initial_epoch < config.epochs and multiworker:
            distribute.fit_distributed(
                model,
                train_data,
                strategy,
                epochs=config.epochs,
                initial_epoch=initial_epoch,
                steps_per_epoch=steps_per_epoch,
                callbacks=callbacks,
                verbose=bool(verbose),
            )
        elif initial_epoch < config.epochs:
            model.fit(
                train_data,
                epochs=config.epochs,
                initial_epoch=initial_epoch,
                steps_per_epoch=steps_per_epoch,
                callbacks=callbacks,
                verbose=verbose,
                shuffle=False,
            )
        if not guard.triggered:
            break
        if retries >= config.max_retries:
            events.write(
                initial_epoch,
                f"divergence: {guard.reason}; retry limit ({config.max_retries}) reached, stopping",
            )
            raise TrainingDiverged(
                f"training diverged ({guard.reason}) and {config.max_retries} rollback(s) did "
                f"not help; last good checkpoint in {out_dir / 'checkpoints'}"
            )
        retries += 1
        latest = cb.latest_checkpoint(out_dir / "checkpoints")
        with strategy.scope():
            if latest is None:
                initial_epoch, model = 0, build_model(config, image_shape, num_classes)
            else:
                initial_epoch, path = latest
                model = keras.saving.load_model(path)
        for optimizer in (model.g_optimizer, model.d_optimizer):
            optimizer.learning_rate = float(optimizer.learning_rate) * config.retry_lr_factor
        events.write(
            initial_epoch,
            f"divergence: {guard.reason}; rollback {retries}/"
            f"{config.max_retries} to epoch {initial_epoch}, learning rates x"
            f"{config.retry_lr_factor:g}",
        )
        guard.reset()
    elapsed = time.time() - start
    events.close()
    if not chief:
        shutil.rmtree(out_dir, ignore_errors=True)
        return run_dir
    final = run_dir / "model.keras"
    tmp = run_dir / ".model.tmp.keras"
    model.save(tmp)
    os.replace(tmp, final)
    export_path = None
    if config.export:
        from keras_gans.export import export_generator

        target = Path("saved_models") / run_dir.name if config.export == "auto" else config.export
        export_path = export_generator(model, target)
    _summary(run_dir, final, export_path, elapsed)
    return run_dir


class TrainingDiverged(RuntimeError):
    """Training stopped because a loss became NaN or infinite."""


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
    from keras_gans.evaluate import load_classifier

    classifier, _ = load_classifier(out_dir / "domain_classifier.keras", images, labels)
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
