"""tf.distribute: mirrored equivalence, a real two-process multi-worker run, portability."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import make_model, random_images

from keras_gans import distribute

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = Path(__file__).parent / "scripts"


def _env(**extra):
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "CUDA_VISIBLE_DEVICES": "",
        **extra,
    }


def _script_rows(name: str) -> list[dict]:
    """Run ``tests/scripts/<name>`` in its own process; its JSON lines."""
    out = subprocess.run(
        [sys.executable, str(SCRIPTS / name)],
        capture_output=True,
        text=True,
        timeout=300,
        env=_env(),
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]


def test_one_mirrored_step_equals_one_single_device_step():
    rows = _script_rows("mirrored_equivalence.py")
    assert [r["model"] for r in rows] == [
        "gan",
        "dcgan",
        "infogan",
        "wgan_gp",
        "conditional_wgan_gp",
        "relativistic_r1_r2_dcgan",
        "r3gan",
        "pix2pix",
        "srgan",
        "cyclegan",
    ]
    for r in rows:
        assert r["replicas"] == 2 and r["jit"] is False  # "auto" resolves to off under a strategy
        # The step moved weights by ~0.1; a wrong replica scaling would differ by that much.
        assert r["max_update"] > 1e-2
        assert r["max_weight_diff"] < 1e-4, r
        for key, value in r["logs_single"].items():
            assert r["logs_mirrored"][key] == pytest.approx(value, rel=1e-4, abs=1e-5)


def test_mirrored_run_stopped_inside_an_epoch_resumes_within_float_noise():
    (row,) = _script_rows("mirrored_resume.py")
    assert row["replicas"] == 2
    assert row["stopped"].startswith("stopped by SIGTERM at epoch 2, step 5 of 14;")
    # Not bit for bit under MirroredStrategy (as the README says: the same steps in two
    # fit calls, nothing saved, already differ by 9e-4), but within float rounding.
    assert row["max_update"] > 0.5
    assert row["resumed_diff"] < 1e-2


def _free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def _two_workers(run_dir, model_name, epochs, mode):
    workers = [f"localhost:{p}" for p in _free_ports(2)]
    procs = []
    for index in range(2):
        tf_config = {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    str(SCRIPTS / "multiworker_worker.py"),
                    str(run_dir),
                    model_name,
                    str(epochs),
                    mode,
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=_env(TF_CONFIG=json.dumps(tf_config)),
            )
        )
    results = []
    try:
        for proc in procs:
            stdout, stderr = proc.communicate(timeout=240)
            assert proc.returncode == 0, stderr[-3000:]
            results.append(json.loads(stdout.strip().splitlines()[-1]))
    finally:
        for proc in procs:
            proc.kill()
    return results


def test_two_process_multiworker_run_and_resume(tmp_path):
    run = tmp_path / "run"
    results = _two_workers(run, "wgan-gp", 2, "new")
    # Different seeds per worker: identical weights only if training is really synchronised.
    assert results[0]["digest"] == results[1]["digest"]
    assert results[0]["g_steps"] == 2 * (1797 // 64)
    # Written by the chief only.
    assert (run / "model.keras").is_file() and (run / "checkpoints" / "epoch_002.keras").is_file()
    assert sorted(p.name for p in (run / "samples").glob("epoch_*.png")) == [
        "epoch_001.png",
        "epoch_002.png",
    ]
    resumed = _two_workers(run, "wgan-gp", 3, "resume")
    assert resumed[0]["digest"] == resumed[1]["digest"]
    assert resumed[0]["g_steps"] == 3 * (1797 // 64)
    assert (run / "checkpoints" / "epoch_003.keras").is_file()


def test_checkpoint_from_a_strategy_restores_on_one_device(tmp_path):
    script = f"""
import os, sys
import tensorflow as tf
tf.config.set_logical_device_configuration(tf.config.list_physical_devices("CPU")[0],
                                           [tf.config.LogicalDeviceConfiguration()] * 2)
import numpy as np, keras_gans
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
with strategy.scope():
    model = keras_gans.DCGAN(latent_dim=4, image_shape=(8, 8, 1), seed=0)
    model.compile()
x = np.random.default_rng(0).uniform(-1, 1, (16, 8, 8, 1)).astype("float32")
model.fit(tf.data.Dataset.from_tensor_slices(x).batch(8), verbose=0)
model.save(r"{tmp_path / "m.keras"}")
np.save(r"{tmp_path / "out.npy"}", model(np.ones((2, 4), "float32")).numpy())
"""
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, env=_env()
    )
    assert out.returncode == 0, out.stderr[-3000:]
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(
        loaded(np.ones((2, 4), "float32")).numpy(), np.load(tmp_path / "out.npy"), atol=1e-6
    )
    assert int(loaded.g_optimizer.iterations) == 2
    model = make_model("dcgan", (8, 8, 1), latent_dim=4)  # and training goes on without a strategy
    model.compile()
    model.fit(tf.data.Dataset.from_tensor_slices(random_images(8, (8, 8, 1))).batch(8), verbose=0)


def test_replica_draw_without_strategy_is_a_plain_draw():
    a = distribute.replica_draw(lambda n: tf.range(n), 3)
    np.testing.assert_array_equal(a.numpy(), [0, 1, 2])


def test_strategy_errors(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(ValueError, match="TF_CONFIG"):
        distribute.make_strategy("multiworker")
    with pytest.raises(ValueError, match="unknown strategy"):
        distribute.make_strategy("ring")
