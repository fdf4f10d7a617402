"""Preemption: a stop signal, kill -9 after a checkpoint inside an epoch, exact resumption."""

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import SignalAt

from keras_gans import training
from keras_gans.cli import train as train_cli

ROOT = Path(__file__).resolve().parents[1]
OPTIONS = dict(
    model="gan", seed=7, epochs=3, image_size=8, batch_size=128, latent_dim=8, log_every=1
)
STEPS = 1797 // 128  # steps per epoch of the embedded digits at batch 128


def _config(run_dir: Path, **kwargs) -> training.TrainConfig:
    return training.TrainConfig(
        run_dir=str(run_dir), verbose=0, diagnostics=False, **{**OPTIONS, **kwargs}
    )


def _scalars(folder: Path, tag: str) -> list[tuple[int, float]]:
    """(step, value) of every ``tag`` summary under ``folder``, in the order written."""
    out = []
    for path in sorted(folder.glob("events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                if value.tag == tag:
                    out.append((event.step, float(tf.make_ndarray(value.tensor))))
    return out


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """The reference: the same run, never stopped."""
    run_dir = tmp_path_factory.mktemp("whole") / "run"
    model = training.run(_config(run_dir)).model
    return run_dir, [w.numpy() for w in model.generator.weights]


def _assert_same_run(resumed: training.RunResult, uninterrupted, redone: int = 0) -> None:
    """Same weights, grids and TensorBoard curves as the uninterrupted run; ``redone``
    steps (trained after the last checkpoint of a killed run) are logged twice, and
    TensorBoard shows their second values, as it drops a step's older events."""
    whole_dir, whole_weights = uninterrupted
    for a, b in zip(whole_weights, resumed.model.generator.weights, strict=True):
        np.testing.assert_array_equal(a, b.numpy())
    run_dir = resumed.run_dir
    assert sorted(p.name for p in (run_dir / "samples").glob("epoch_*.png")) == [
        "epoch_001.png",
        "epoch_002.png",
        "epoch_003.png",
    ]
    # Epoch scalars once per epoch, step scalars once per step, with the
    # uninterrupted run's values: the resumed epoch's means carry on.
    assert [s for s, _ in _scalars(run_dir / "logs" / "train", "epoch_g_loss")] == [0, 1, 2]
    for tag in ("step/g_loss", "step/d_loss"):
        resumed_values = _scalars(run_dir / "logs" / "steps", tag)
        assert len(resumed_values) == 3 * STEPS + redone
        last = dict(resumed_values)  # the later of two values of a step
        assert sorted(last) == list(range(1, 3 * STEPS + 1))
        np.testing.assert_allclose(
            [last[s] for s in sorted(last)],
            [v for _, v in _scalars(whole_dir / "logs" / "steps", tag)],
            rtol=1e-6,
        )


def test_sigterm_stops_after_the_step_and_resumes_exactly(tmp_path, uninterrupted, capsys):
    run_dir = tmp_path / "run"
    with pytest.raises(training.TrainingInterrupted) as stopped:
        training.run(_config(run_dir), callbacks=[SignalAt(STEPS + 4, signal.SIGTERM)])
    checkpoint = run_dir / "checkpoints" / "epoch_001_step_000005.keras"
    assert stopped.value.signal == signal.SIGTERM
    assert str(stopped.value) == (
        f"stopped by SIGTERM at epoch 2, step 5 of {STEPS}; checkpoint {checkpoint}; "
        f"resume with: python train.py --resume --run-dir {run_dir}"
    )
    assert "SIGTERM: stopping after this step" in capsys.readouterr().out
    assert sorted(p.name for p in (run_dir / "checkpoints").iterdir()) == [
        "epoch_001.keras",
        "epoch_001_step_000005.json",
        "epoch_001_step_000005.keras",
    ]
    assert int(keras.saving.load_model(checkpoint).g_optimizer.iterations) == STEPS + 5
    assert not (run_dir / "model.keras").exists() and not (run_dir / ".lock").exists()
    assert [p.name for p in (run_dir / "samples").glob("epoch_*.png")] == ["epoch_001.png"]

    resumed = training.run(_config(run_dir, resume=True))
    assert f"resuming from {checkpoint} (epoch 2, step 5 of {STEPS})" in capsys.readouterr().out
    _assert_same_run(resumed, uninterrupted)


def test_kill_9_after_a_checkpoint_inside_an_epoch_loses_only_the_steps_since(
    tmp_path, uninterrupted, capsys
):
    run_dir = tmp_path / "run"
    # A real kill -9, at a known step: checkpoints every 6 steps (and at the
    # epoch end, step 14), killed at step 20, so the last one is step 18.
    script = textwrap.dedent(
        f"""
        import signal, sys
        sys.path[:0] = [{str(ROOT)!r}, {str(ROOT / "tests")!r}]
        from conftest import SignalAt
        from keras_gans import training
        config = training.TrainConfig(
            run_dir={str(run_dir)!r}, verbose=0, diagnostics=False, checkpoint_every=6,
            **{OPTIONS!r})
        training.run(config, callbacks=[SignalAt(20, signal.SIGKILL)])
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    assert sorted(p.name for p in (run_dir / "checkpoints").iterdir()) == [
        "epoch_001.keras",
        "epoch_001_step_000004.json",
        "epoch_001_step_000004.keras",
    ]
    assert (run_dir / ".lock").exists()  # left by the killed run, taken over below

    capsys.readouterr()
    resumed = training.run(_config(run_dir, resume=True))
    out = capsys.readouterr().out
    assert "which is no longer running: taking the run directory over" in out
    assert f"(epoch 2, step 4 of {STEPS})" in out
    _assert_same_run(resumed, uninterrupted, redone=2)


def test_ctrl_c_twice_exits_130_with_one_line_and_one_checkpoint(tmp_path, monkeypatch, capsys):
    original_run, original_save = training.run, keras.Model.save

    def run_with_ctrl_c(config):  # the user presses Ctrl-C after step 3...
        return original_run(config, callbacks=[SignalAt(3, signal.SIGINT)])

    def save_with_ctrl_c(self, *args, **kwargs):  # ...and again while it is saved
        os.kill(os.getpid(), signal.SIGINT)
        return original_save(self, *args, **kwargs)

    monkeypatch.setattr(keras.Model, "save", save_with_ctrl_c)
    monkeypatch.setattr(training, "run", run_with_ctrl_c)
    run_dir = tmp_path / "run"
    args = ["--model", "gan", "--image-size", "8", "--batch-size", "128", "--latent-dim", "8"]
    args += ["--epochs", "1", "--run-dir", str(run_dir), "--no-diagnostics"]
    assert train_cli.main(args) == 130
    out, err = capsys.readouterr()
    assert "SIGINT again: already stopping" in out
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == (
        f"keras-gans train: stopped by SIGINT at epoch 1, step 4 of {STEPS}; checkpoint "
        f"{run_dir / 'checkpoints' / 'epoch_000_step_000004.keras'}; resume with: "
        f"python train.py --resume --run-dir {run_dir}"
    )
    assert sorted(p.name for p in (run_dir / "checkpoints").iterdir()) == [
        "epoch_000_step_000004.json",
        "epoch_000_step_000004.keras",
    ]
    monkeypatch.setattr(keras.Model, "save", original_save)
    checkpoint = keras.saving.load_model(run_dir / "checkpoints" / "epoch_000_step_000004.keras")
    assert int(checkpoint.g_optimizer.iterations) == 4

    # --resume without --epochs trains to the run's own 1 epoch, not the default 120.
    monkeypatch.setattr(training, "run", original_run)
    assert train_cli.main(["--resume", "--run-dir", str(run_dir)]) == 0
    assert json.loads((run_dir / "config.json").read_text())["epochs"] == 1
    final = keras.saving.load_model(run_dir / "model.keras")
    assert int(final.g_optimizer.iterations) == STEPS
    # The handlers are the previous ones again once the run has ended.
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_checkpoint_every_steps_and_auto(tmp_path):
    from keras_gans.callbacks import Position, checkpoint_name, checkpoints

    assert checkpoint_name(Position(3, 0)) == "epoch_003.keras"
    assert checkpoint_name(Position(3, 50)) == "epoch_003_step_000050.keras"
    run_dir = tmp_path / "run"
    training.run(_config(run_dir, epochs=1, checkpoint_every=4, model="dcgan"))
    # keep=2: of steps 4, 8, 12 and the epoch end, the last two.
    assert [p for p, _ in checkpoints(run_dir / "checkpoints")] == [(0, 12), (1, 0)]
    with pytest.raises(training.ConfigError, match="checkpoint_every: must be >= 0"):
        training.run(_config(tmp_path / "bad", checkpoint_every=-1))
    with pytest.raises(SystemExit):
        train_cli.main(["--checkpoint-every", "soon", "--run-dir", str(tmp_path / "bad")])
