"""train.py end to end: outputs, TensorBoard logs, bad input, kill and resume."""

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import tensorflow as tf
from tensorboard.plugins.custom_scalar import layout_pb2
from tensorboard.plugins.hparams import plugin_data_pb2

import train

ROOT = Path(__file__).resolve().parents[1]
FAST = ["--image-size", "8", "--batch-size", "128", "--latent-dim", "8", "--log-every", "5"]


def _events(folder: Path) -> dict[str, list[int]]:
    """tag -> steps, read back from every event file under ``folder``."""
    found: dict[str, list[int]] = {}
    for path in folder.glob("events.out.tfevents.*"):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                found.setdefault(value.tag, []).append(event.step)
    return found


def _plugin_payloads(folder: Path) -> dict[str, list[bytes]]:
    """plugin name -> the serialized plugin content (or tensor) of its summaries."""
    found: dict[str, list[bytes]] = {}
    for path in folder.glob("events.out.tfevents.*"):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                plugin = value.metadata.plugin_data.plugin_name
                if plugin == "hparams":
                    found.setdefault(plugin, []).append(value.metadata.plugin_data.content)
                elif plugin == "custom_scalars":
                    found.setdefault(plugin, []).append(tf.make_ndarray(value.tensor).item())
    return found


def test_end_to_end_run_writes_every_output(tmp_path):
    run_dir = tmp_path / "run"
    assert (
        train.main(
            ["--epochs", "2", "--run-dir", str(run_dir), "--export", str(tmp_path / "exp"), *FAST]
        )
        == 0
    )
    config = json.loads((run_dir / "config.json").read_text())
    assert config["model"] == "dcgan" and config["dataset"] == "digits" and config["epochs"] == 2
    assert sorted(p.name for p in (run_dir / "samples").iterdir()) == [
        "epoch_001.png",
        "epoch_002.png",
    ]
    assert sorted(p.name for p in (run_dir / "checkpoints").iterdir()) == [
        "epoch_001.keras",
        "epoch_002.keras",
    ]
    assert (run_dir / "model.keras").is_file()
    assert (tmp_path / "exp" / "1" / "saved_model.pb").is_file()

    train_tags = _events(run_dir / "logs" / "train")
    for name in ("d_loss", "g_loss", "real_score", "fake_score"):
        assert sorted(train_tags[f"epoch_{name}"]) == [0, 1]
    assert "step/d_loss" in _events(run_dir / "logs" / "steps")
    assert sorted(_events(run_dir / "logs" / "samples")["samples"]) == [0, 1]

    # TensorBoard comparison: HParams in, final metrics out, the custom-scalars layout.
    top = run_dir / "logs"
    assert _events(top)["final/g_loss"] == [1] and _events(top)["final/real_score"] == [1]
    plugins = _plugin_payloads(top)
    session = plugin_data_pb2.HParamsPluginData.FromString(plugins["hparams"][0])
    values = session.session_start_info.hparams
    hparams = {k: v.string_value or v.number_value for k, v in values.items()}
    assert hparams["model"] == "dcgan" and hparams["batch_size"] == 128
    assert hparams["ema_decay"] == pytest.approx(0.999)  # "auto" resolved
    assert hparams["g_learning_rate"] == pytest.approx(2e-4)
    layout = layout_pb2.Layout.FromString(plugins["custom_scalars"][0])
    charts = {c.title: list(c.multiline.tag) for c in layout.category[0].chart}
    assert charts["D and G loss per epoch"] == [r"^epoch_[dg]_loss$"]


def test_infogan_writes_a_traversal_grid(tmp_path):
    run_dir = tmp_path / "run"
    assert (
        train.main(
            [
                "--model",
                "infogan",
                "--epochs",
                "1",
                "--run-dir",
                str(run_dir),
                "--categorical-codes",
                "4",
                "--continuous-codes",
                "1",
                *FAST,
            ]
        )
        == 0
    )
    assert (run_dir / "samples" / "traversal_epoch_001.png").is_file()
    assert "traversal" in _events(run_dir / "logs" / "samples")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--epochs", "0"], "--epochs: must be a positive integer, got 0"),
        (["--batch-size=-3"], "--batch-size: must be a positive integer"),
        (["--latent-dim", "zero"], "--latent-dim: not an integer"),
        (["--g-lr=-1e-4"], "--g-lr: must be positive"),
        (["--model", "vae"], "invalid choice: 'vae'"),
        (["--dataset", "/no/such/folder"], "no such folder or file: /no/such/folder"),
        (["--dataset", "imagenette_nope"], "unknown data set 'imagenette_nope'"),
        (["--image-size", "20"], "--image-size: invalid choice: 20"),
        (["--model", "infogan", "--stroke-jitter", "2"], "--stroke-jitter must be in [0, 1]"),
    ],
)
def test_bad_input_is_one_line_and_exit_status_2(args, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        train.main(args)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("usage:") is False and message in last


def test_the_command_in_its_own_process_shows_no_tensorflow_start_up_chatter():
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "train.py"), "--epochs", "0"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=ROOT,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    # argparse's usage, then one error line: nothing from TensorFlow's C++ start-up.
    assert lines[0].startswith("usage: train.py") and all(
        line.startswith((" ", "usage:")) for line in lines[:-1]
    ), lines
    assert lines[-1] == "train.py: error: argument --epochs: must be a positive integer, got 0"


def test_the_library_never_imports_the_commands():
    import ast

    offenders = []
    for path in (ROOT / "keras_gans").rglob("*.py"):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith("keras_gans/cli/") or path.name in (
            "evaluate.py",
            "sample.py",
            "synthesize.py",
            "__main__.py",
        ):
            continue  # the commands, and the python -m shims over them
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            if any(n == "keras_gans.cli" or n.startswith("keras_gans.cli.") for n in names):
                if not (path.name == "export.py" and node.col_offset > 0):  # its __main__ shim
                    offenders.append(f"{relative}:{node.lineno}")
    assert offenders == []
    assert (ROOT / "keras_gans" / "cli" / "train.py").is_file()  # the scan looks at real files


def test_keras_gans_command_dispatches_to_each_command(capsys):
    from keras_gans import cli

    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert all(f"  {name} " in out for name in cli.COMMANDS)
    assert cli.main(["bogus"]) == 2
    assert "unknown command 'bogus'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["train", "--epochs", "0"])
    assert exit_info.value.code == 2
    assert "keras-gans train: error: argument --epochs" in capsys.readouterr().err
    text = (ROOT / "pyproject.toml").read_text()
    assert 'keras-gans = "keras_gans.cli:main"' in text


def test_config_defaults_agree_with_the_models_own(model_name):
    """Each model option's TrainConfig default is the constructor's default."""
    import inspect

    from keras_gans import config
    from keras_gans.training import TrainConfig

    cls = {"wgan_gp": "wgan-gp"}.get(model_name, model_name)
    model_cls = config.MODELS[cls]
    defaults = TrainConfig()
    parameters = {}
    for klass in model_cls.__mro__:
        if "__init__" in vars(klass):
            for name, p in inspect.signature(klass.__init__).parameters.items():
                parameters.setdefault(name, p.default)
    for field_name, argument in model_cls.train_options.items():
        given = getattr(defaults, field_name)
        expected = parameters[argument]
        assert list(given) == list(expected) if isinstance(given, list) else given == expected


@pytest.mark.parametrize(
    "model,given,expected",
    [
        ("dcgan", "auto", 0.999),
        ("pix2pix", "auto", None),
        ("cyclegan", "auto", None),
        ("srgan", "auto", 0.999),
        ("dcgan", 0.0, None),
        ("srgan", 0.9, 0.9),
    ],
)
def test_ema_decay_auto_follows_the_model(model, given, expected):
    from keras_gans import training

    config = training.TrainConfig(model=model, ema_decay=given)
    config.validate()
    shape = (16, 16, 1)
    built = training.build_model(
        config, shape, extras={"target_channels": 1} if model == "pix2pix" else None
    )
    assert built.ema_decay == expected


def test_conditional_needs_labels_and_a_conditional_model(tmp_path, capsys):
    from PIL import Image

    (tmp_path / "flat").mkdir()
    for i in range(4):
        Image.new("L", (8, 8), color=i * 60).save(tmp_path / "flat" / f"{i}.png")
    cases = [
        (["--conditional", "--model", "infogan"], "--conditional is for gan, dcgan, wgan-gp"),
        (["--conditional", "--dataset", str(tmp_path / "flat")], "has no labels"),
        (["--conditioning", "film"], "invalid choice: 'film'"),
    ]
    for args, message in cases:
        with pytest.raises(SystemExit) as exit_info:
            train.main([*args, "--run-dir", str(tmp_path / "r")])
        assert exit_info.value.code == 2
        assert message in capsys.readouterr().err.strip().splitlines()[-1]


def test_empty_folder_and_corrupt_only_folder(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    with pytest.raises(SystemExit) as exit_info:
        train.main(["--dataset", str(tmp_path / "empty"), "--run-dir", str(tmp_path / "r")])
    assert exit_info.value.code == 2
    assert "no images in folder" in capsys.readouterr().err


def test_export_flag_without_a_directory_uses_saved_models(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert train.main(["--epochs", "1", "--run-dir", "runs/r1", "--export", *FAST]) == 0
    assert (tmp_path / "saved_models" / "r1" / "1" / "saved_model.pb").is_file()


def test_diffaugment_auto_depends_on_the_data_set_size(tmp_path):
    from keras_gans import training

    assert training.resolve_diffaugment("auto", 1797) == "translation"
    assert training.resolve_diffaugment("auto", 60_000) is None
    assert training.resolve_diffaugment("auto", None) is None
    assert training.resolve_diffaugment("none", 10) is None
    assert training.resolve_diffaugment("cutout", 60_000) == "cutout"
    run_dir = tmp_path / "run"
    train.main(["--epochs", "1", "--run-dir", str(run_dir), "--no-diagnostics", *FAST])
    stored = json.loads((run_dir / "config.json").read_text())
    assert stored["diffaugment"] == "translation" and stored["conditional"] is True
    import keras

    model = keras.saving.load_model(run_dir / "model.keras")
    assert model.diffaugment == ("translation",) and model.num_classes == 10
    with pytest.raises(SystemExit):
        train.main(["--diffaugment", "zoom", "--run-dir", str(tmp_path / "bad")])


def test_conditional_auto_is_on_for_the_digits_with_a_conditional_model_only():
    from keras_gans import training

    def resolved(**options):
        return training._resolve_options(training.TrainConfig(**options)).conditional

    assert resolved() is True and resolved(model="wgan-gp") is True
    assert resolved(model="infogan") is False and resolved(model="pix2pix") is False
    assert resolved(dataset="mnist") is False and resolved(dataset="/data/folder") is False
    assert resolved(conditional=False) is False and resolved(dataset="mnist", conditional=True)
    with pytest.raises(training.ConfigError, match="conditional: 'yes' is not one of"):
        resolved(conditional="yes")
    # A caller of build_model's own conditions exactly when it passes num_classes.
    config = training.TrainConfig()
    assert not training.build_model(config, (8, 8, 1)).conditional
    assert training.build_model(config, (8, 8, 1), num_classes=10).conditional


def test_batch_size_auto_is_the_models_and_resume_keeps_the_runs(tmp_path):
    from keras_gans import training

    def resolved(**options):
        return training._resolve_options(training.TrainConfig(**options)).batch_size

    assert resolved(model="infogan") == 16 and resolved(model="dcgan") == 32
    assert resolved(model="infogan", batch_size=64) == 64
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    stored = training.TrainConfig(model="infogan", batch_size=64, run_dir=str(run_dir))
    (run_dir / "config.json").write_text(json.dumps(dataclasses.asdict(stored)))
    assert resolved(resume=True, run_dir=str(run_dir)) == 64  # auto is not a conflict


def test_resume_refuses_options_that_contradict_the_run(tmp_path, capsys):
    from keras_gans import training

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    stored = training.TrainConfig(model="dcgan", batch_size=64, run_dir=str(run_dir))
    (run_dir / "config.json").write_text(json.dumps(dataclasses.asdict(stored)))
    with pytest.raises(SystemExit) as exit_info:
        args = ["--model", "wgan-gp", "--critic-steps", "3"]
        train.main(["--resume", "--run-dir", str(run_dir), *args])
    assert exit_info.value.code == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert "model (given 'wgan-gp', the run has 'dcgan')" in last
    assert "critic_steps (given 3, the run has 5)" in last
    assert "--resume continues" in last and "batch_size" not in last
    # The run's own values, the defaults, and how long to train are not conflicts.
    same = training.TrainConfig(model="dcgan", batch_size=64, epochs=500, resume=True)
    assert training.resume_conflicts(same, dataclasses.asdict(stored), ignore={"epochs"}) == []
    other = training.TrainConfig(loss="hinge", r1=1.0)
    assert training.resume_conflicts(other, dataclasses.asdict(stored)) == [
        "loss (given 'hinge', the run has 'non-saturating')",
        "r1 (given 1.0, the run has 0.0)",
    ]


def test_one_writer_per_run_directory(tmp_path, capsys):
    import socket

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        (run_dir / ".lock").write_text(f"{live.pid} {socket.gethostname()}")
        with pytest.raises(SystemExit) as exit_info:
            train.main(["--epochs", "1", "--run-dir", str(run_dir), *FAST])
        assert exit_info.value.code == 2
        last = capsys.readouterr().err.strip().splitlines()[-1]
        assert f"is in use by another training process (pid {live.pid})" in last
        assert not (run_dir / "model.keras").exists()
        assert (run_dir / ".lock").read_text().startswith(f"{live.pid} ")  # still theirs
    finally:
        live.kill()
        live.wait()
    # The holder is gone (as after kill -9): the next run takes over, says so, and unlocks.
    args = ["--epochs", "1", "--run-dir", str(run_dir), "--no-diagnostics", *FAST]
    assert train.main(args) == 0
    assert f"was left by pid {live.pid}, which is no longer running" in capsys.readouterr().out
    assert (run_dir / "model.keras").is_file() and not (run_dir / ".lock").exists()


def test_resume_falls_back_past_an_unreadable_checkpoint(tmp_path, capsys):
    from keras_gans import training

    run = tmp_path / "run"
    tiny = dict(image_size=8, batch_size=128, latent_dim=8, verbose=0, diagnostics=False)
    training.run(training.TrainConfig(epochs=2, run_dir=str(run), seed=0, **tiny))
    checkpoints = run / "checkpoints"
    latest = checkpoints / "epoch_002.keras"
    latest.write_bytes(latest.read_bytes()[:2000])  # cut short, as by a full disk
    capsys.readouterr()
    result = training.run(training.TrainConfig(run_dir=str(run), resume=True, epochs=3, verbose=0))
    out = capsys.readouterr().out
    assert f"checkpoint {latest} is unreadable" in out
    assert f"resuming from {checkpoints / 'epoch_001.keras'} (epoch 1)" in out
    assert int(result.model.g_optimizer.iterations) == 3 * (1797 // 128)

    # No readable checkpoint at all: one line, exit status 2, no file touched.
    for path in checkpoints.glob("*.keras"):
        path.write_bytes(b"not a checkpoint")
    files = sorted((p, p.stat().st_mtime_ns) for p in run.rglob("*") if p.is_file())
    with pytest.raises(SystemExit) as exit_info:
        train.main(["--resume", "--run-dir", str(run)])
    assert exit_info.value.code == 2
    assert "no readable checkpoint in" in capsys.readouterr().err.strip().splitlines()[-1]
    assert sorted((p, p.stat().st_mtime_ns) for p in run.rglob("*") if p.is_file()) == files


def test_a_full_disk_ends_the_run_with_one_line_and_keeps_the_last_checkpoint(
    tmp_path, monkeypatch, capsys
):
    import errno

    import keras

    saves = []
    original = keras.Model.save

    def save(self, path, *args, **kwargs):
        saves.append(str(path))
        if len(saves) == 2:  # the second epoch's checkpoint
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(self, path, *args, **kwargs)

    monkeypatch.setattr(keras.Model, "save", save)
    run = tmp_path / "run"
    assert train.main(["--epochs", "3", "--run-dir", str(run), "--no-diagnostics", *FAST]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert "Traceback" not in "\n".join(err)
    assert err[-1] == (
        f"keras-gans train: cannot write {run / 'checkpoints' / 'epoch_002.keras'}: "
        "No space left on device; the last complete checkpoint is kept"
    )
    monkeypatch.setattr(keras.Model, "save", original)
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["epoch_001.keras"]
    assert keras.saving.load_model(run / "checkpoints" / "epoch_001.keras").built
    assert not (run / "model.keras").exists()
