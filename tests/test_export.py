"""SavedModel export: signatures checked in a fresh TensorFlow-only process."""

import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import make_model, random_images, run_tensorflow_only

from keras_gans.cli.export import main
from keras_gans.export import ExportError, export_generator

ROOT = Path(__file__).resolve().parents[1]

CHECK_SCRIPT = r"""
import json, sys
import numpy as np
import tensorflow as tf

args = sys.argv[1:]
for path, z_file, out_file in zip(args[0::3], args[1::3], args[2::3]):
    loaded = tf.saved_model.load(path)
    sigs = loaded.signatures
    report = {"signatures": sorted(sigs), "keras_gans_imported": "keras_gans" in sys.modules}
    if z_file == "-":  # a shipped model: every signature on inputs of its declared shapes
        rng = np.random.default_rng(0)
        a = sigs["sample"](num_images=tf.constant(5), seed=tf.constant(3))["images"].numpy()
        b = sigs["sample"](num_images=tf.constant(5), seed=tf.constant(3))["images"].numpy()
        report.update(sample_dtype=str(a.dtype), same_seed_equal=bool(np.array_equal(a, b)))
        report["ranges"] = {}
        for name, fn in sigs.items():
            if name == "sample":
                continue
            inputs = {}
            for key, spec in fn.structured_input_signature[1].items():
                shape = [3, *spec.shape[1:]]
                if spec.dtype == tf.int32:  # class or category indices 0, 1, 2
                    inputs[key] = tf.constant(np.arange(3).reshape([3] + [1] * (len(shape) - 1))
                                              * np.ones(shape, np.int32), tf.int32)
                elif key == "continuous":
                    inputs[key] = tf.constant(rng.uniform(-1, 1, shape), tf.float32)
                else:
                    inputs[key] = tf.constant(rng.standard_normal(shape), tf.float32)
            images = fn(**inputs)["images"].numpy()
            report["ranges"][name] = [float(images.min()), float(images.max())]
        print(json.dumps(report), flush=True)
        continue
    z = np.load(z_file)
    report["specs"] = {  # what saved_model_cli and TensorFlow Serving show
        name: {
            "inputs": {k: [v.dtype.name, v.shape.as_list()]
                       for k, v in fn.structured_input_signature[1].items()},
            "outputs": {k: [v.dtype.name, v.shape.as_list()]
                        for k, v in fn.structured_outputs.items()},
        }
        for name, fn in sigs.items()
    }
    if "generate_with_labels" in sigs:  # a class-conditional model
        labels = tf.constant([0, 2, 1], tf.int32)
        with_labels = sigs["generate_with_labels"](z=tf.constant(z), labels=labels)["images"]
        default = sigs["serving_default"](z=tf.constant(z), labels=labels)["images"]
        sample = sigs["sample"](num_images=tf.constant(4), seed=tf.constant(1))["images"]
        report.update(default_equal=bool(np.array_equal(with_labels, default)),
                      sample_shape=list(sample.shape))
        try:
            sigs["generate_with_labels"](z=tf.constant(z), labels=tf.constant([0, 3, 1]))
            report["bad_label"] = "accepted"
        except tf.errors.InvalidArgumentError as e:
            report["bad_label"] = e.message
        np.savez(out_file, with_labels=with_labels.numpy())
        print(json.dumps(report), flush=True)
        continue
    served = sigs["serving_default"](z=tf.constant(z))["images"]
    report["serving_dtype"] = served.dtype.name
    a = sigs["sample"](num_images=tf.constant(5), seed=tf.constant(3))["images"].numpy()
    b = sigs["sample"](num_images=tf.constant(5), seed=tf.constant(3))["images"].numpy()
    c = sigs["sample"](num_images=tf.constant(5), seed=tf.constant(4))["images"].numpy()
    report.update(sample_dtype=str(a.dtype), sample_shape=list(a.shape),
                  same_seed_equal=bool(np.array_equal(a, b)),
                  other_seed_differs=not np.array_equal(a, c))
    arrays = {"served": served.numpy()}
    if "generate_with_codes" in sigs:
        codes = sigs["generate_with_codes"](
            z=tf.constant(z[:, :4]), categorical=tf.constant([[1]] * len(z), tf.int32),
            continuous=tf.constant(np.full((len(z), 2), 0.5, np.float32)))["images"]
        arrays["codes"] = codes.numpy()
    try:
        sigs["serving_default"](z=tf.zeros((2, z.shape[1] + 1)))
        report["bad_width"] = "accepted"
    except (TypeError, ValueError, tf.errors.InvalidArgumentError) as e:
        report["bad_width"] = str(e)
    np.savez(out_file, **arrays)
    print(json.dumps(report), flush=True)
"""


def _trained(model_name, shape=(16, 16, 1), **kwargs):
    """A model after one step; ``"conditional"`` is a 3-class DCGAN trained on labels."""
    images = random_images(8, shape)
    if model_name == "conditional":
        model_name, kwargs = "dcgan", {"num_classes": 3, **kwargs}
        images = (images, np.arange(8, dtype=np.int32) % 3)
    model = make_model(model_name, shape, latent_dim=4, **kwargs)
    model.compile()
    model.fit(tf.data.Dataset.from_tensor_slices(images).batch(8), verbose=0)
    return model


SHIPPED = sorted(p.parent for p in (ROOT / "saved_models").glob("*/*/saved_model.pb"))


def test_signatures_in_a_tensorflow_only_process(tmp_path):
    """Every model's SavedModel, and every generator shipped in saved_models/, loaded by
    one process that imports TensorFlow only."""
    assert SHIPPED, "saved_models/ ships generators"
    models, argv = {}, []
    for name in ("gan", "dcgan", "infogan", "wgan_gp", "conditional"):
        model = models[name] = _trained(name)
        target = export_generator(model, tmp_path / name)
        assert target == tmp_path / name / "1" and (target / "saved_model.pb").is_file()
        z = np.random.default_rng(0).normal(size=(3, model.generator_input_dim))
        np.save(tmp_path / f"{name}_z.npy", z.astype("float32"))
        argv += [str(target), str(tmp_path / f"{name}_z.npy"), str(tmp_path / f"{name}.npz")]
    for i, version in enumerate(SHIPPED):
        argv += [str(version), "-", str(tmp_path / f"shipped{i}.npz")]
    result = run_tensorflow_only(CHECK_SCRIPT, argv, tmp_path)
    lines = [json.loads(line) for line in result.stdout.strip().splitlines() if line[:1] == "{"]
    reports, shipped = lines[:5], lines[5:]
    assert len(shipped) == len(SHIPPED)
    for version, report in zip(SHIPPED, shipped):
        card = (version.parent / "README.md").read_text()
        assert "--export saved_models/" in card and "licence" in card, version
        assert {"serving_default", "sample"} <= set(report["signatures"]), version
        assert report["keras_gans_imported"] is False
        assert report["sample_dtype"] == "uint8" and report["same_seed_equal"]
        assert set(report["ranges"]) == set(report["signatures"]) - {"sample"}
        for low, high in report["ranges"].values():
            assert -1.0 <= low < high <= 1.0, version  # tanh images, not a constant
    *unconditional, ((_, model), report) = zip(models.items(), reports)
    assert report["signatures"] == ["generate_with_labels", "sample", "serving_default"]
    assert report["default_equal"] and report["sample_shape"] == [4, 16, 16, 1]
    assert report["keras_gans_imported"] is False
    assert "labels must be < 3" in report["bad_label"]
    assert report["specs"]["generate_with_labels"]["inputs"] == {
        "z": ["float32", [None, 4]],
        "labels": ["int32", [None]],
    }
    expected = model([np.load(tmp_path / "conditional_z.npy"), np.array([0, 2, 1], np.int32)])
    with_labels = np.load(tmp_path / "conditional.npz")["with_labels"]
    np.testing.assert_allclose(with_labels, expected.numpy(), atol=1e-5)
    for (model_name, model), report in unconditional:
        expected = {"serving_default", "sample"} | (
            {"generate_with_codes"} if model_name == "infogan" else set()
        )
        assert set(report["signatures"]) == expected
        assert report["keras_gans_imported"] is False
        assert report["serving_dtype"] == "float32"
        assert report["sample_dtype"] == "uint8" and report["sample_shape"] == [5, 16, 16, 1]
        assert report["same_seed_equal"] and report["other_seed_differs"]
        width = model.generator_input_dim
        assert (
            f"Shape of tensor z [2,{width + 1}] is not compatible with expected shape [?,{width}]"
            in (report["bad_width"])
        )
        z = np.load(tmp_path / f"{model_name}_z.npy")
        arrays = np.load(tmp_path / f"{model_name}.npz")
        np.testing.assert_allclose(arrays["served"], model.generator(z).numpy(), atol=1e-5)
        assert np.abs(arrays["served"]).max() <= 1.0
        specs = report["specs"]
        assert specs["sample"]["inputs"] == {"num_images": ["int32", []], "seed": ["int32", []]}
        assert specs["sample"]["outputs"] == {"images": ["uint8", [None, 16, 16, 1]]}
        assert specs["serving_default"]["inputs"] == {"z": ["float32", [None, width]]}
        assert specs["serving_default"]["outputs"] == {"images": ["float32", [None, 16, 16, 1]]}
        if model_name == "infogan":
            assert width == 16 and specs["generate_with_codes"]["inputs"] == {
                "z": ["float32", [None, 4]],
                "categorical": ["int32", [None, 1]],
                "continuous": ["float32", [None, 2]],
            }
            codes = ([[1]] * 3, np.full((3, 2), 0.5, np.float32))
            inputs = model.generator_inputs(z[:, :4], *codes)
            np.testing.assert_allclose(arrays["codes"], model.generator(inputs).numpy(), atol=1e-5)


def test_versions_and_overwrite(tmp_path):
    import keras_gans

    assert keras_gans.export_generator is export_generator  # importable from the package
    model = _trained("gan")
    assert export_generator(model, tmp_path).name == "1"
    assert export_generator(model, tmp_path).name == "2"
    with pytest.raises(ExportError, match="exists"):
        export_generator(model, tmp_path, version=1)
    assert export_generator(model, tmp_path, version=1, overwrite=True).name == "1"


def test_untrained_and_unbuilt_models_are_refused(tmp_path):
    fresh = make_model("dcgan", (16, 16, 1))
    with pytest.raises(ExportError, match="not built"):
        export_generator(fresh, tmp_path)
    fresh.compile()
    with pytest.raises(ExportError, match="never been trained"):
        export_generator(fresh, tmp_path)
    assert export_generator(fresh, tmp_path, allow_untrained=True).name == "1"
    with pytest.raises(ExportError, match="keras_gans model"):
        export_generator(fresh.generator, tmp_path)


def test_export_and_sample_command_lines(tmp_path, capsys):
    model = _trained("dcgan")
    model.save(tmp_path / "m.keras")
    assert main([str(tmp_path / "m.keras"), str(tmp_path / "out")]) == 0
    with pytest.raises(SystemExit) as info:
        main([str(tmp_path / "missing.keras"), str(tmp_path / "out")])
    assert info.value.code == 2
    assert "no such run directory or .keras file" in capsys.readouterr().err
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "keras_gans.sample",
            str(tmp_path / "out"),
            "--num",
            "9",
            "--seed",
            "0",
            "--out",
            str(tmp_path / "grid.png"),
            "--scale",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=Path(__file__).parents[1],
    )
    assert result.returncode == 0, result.stderr
    from PIL import Image

    assert Image.open(tmp_path / "grid.png").size == (48, 48)


def test_overwrite_keeps_the_old_version_whole_until_the_new_one_is_written(tmp_path, monkeypatch):
    first, second = _trained("gan"), _trained("gan")
    second.generator.set_weights([w * 0.5 for w in second.generator.get_weights()])
    z = tf.random.normal((2, first.latent_dim), seed=0)

    def served(version_dir):
        fn = tf.saved_model.load(str(version_dir)).signatures["serving_default"]
        return list(fn(z=z).values())[0].numpy()

    target = export_generator(first, tmp_path, version=1)
    expected_first = served(target)

    def fail(self, *args, **kwargs):
        raise OSError("disk full (test)")

    with monkeypatch.context() as m:
        # The factory returns the backend's subclass: patch the class actually used.
        m.setattr(type(keras.export.ExportArchive()), "write_out", fail)
        with pytest.raises(ExportError, match="cannot write the SavedModel to .*1: disk full"):
            export_generator(second, tmp_path, version=1, overwrite=True)
    np.testing.assert_array_equal(served(target), expected_first)  # untouched
    export_generator(second, tmp_path, version=1, overwrite=True)
    np.testing.assert_allclose(served(target), second(z).numpy(), atol=1e-6)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["1"]  # no temporary folder left


def _tile(images: np.ndarray, columns: int) -> np.ndarray:
    """Reference tiling of uint8 images, no padding."""
    n, h, w, c = images.shape
    grid = np.zeros((-(-n // columns) * h, columns * w, c), np.uint8)
    for i, image in enumerate(images):
        r, col = divmod(i, columns)
        grid[r * h : (r + 1) * h, col * w : (col + 1) * w] = image
    return grid


def _grid(path) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(path))


def test_sample_labels_codes_and_traversal(tmp_path, capsys):
    from keras_gans.cli import sample

    def to_uint8(images):
        return np.clip(np.round((images + 1.0) * 127.5), 0, 255).astype(np.uint8)

    model = make_model("dcgan", (16, 16, 1), latent_dim=4, num_classes=3)
    model.compile()
    model.fit(random_images(8, (16, 16, 1)), np.arange(8) % 3, batch_size=8, verbose=0)
    conditional = export_generator(model, tmp_path / "cond")
    out = tmp_path / "labels.png"
    argv = [str(conditional), "--labels", "2", "--num", "4", "--seed", "5", "--scale", "1"]
    assert sample.main([*argv, "--out", str(out)]) == 0
    z = np.random.default_rng(5).standard_normal((4, 4)).astype(np.float32)
    fn = tf.saved_model.load(str(conditional)).signatures["generate_with_labels"]
    expected = to_uint8(fn(z=z, labels=np.full(4, 2, np.int32))["images"].numpy())
    np.testing.assert_array_equal(_grid(out), _tile(expected, 2)[..., 0])
    for bad, message in (
        (["--labels", "7"], "labels must be < 3"),
        (["--codes", "1"], "--codes needs an InfoGAN model"),
    ):
        with pytest.raises(SystemExit):
            sample.main([str(conditional), *bad, "--out", str(out)])
        assert message in capsys.readouterr().err.strip().splitlines()[-1]

    info = _trained("infogan", categorical_codes=(3,), continuous_codes=2)
    exported = export_generator(info, tmp_path / "info")
    out = tmp_path / "traverse.png"
    argv = [str(exported), "--traverse", "1", "--categories", "3", "--scale", "1"]
    assert sample.main([*argv, "--out", str(out)]) == 0
    assert _grid(out).shape == (3 * 16, sample.TRAVERSE_STEPS * 16)  # rows: categories
    fn = tf.saved_model.load(str(exported)).signatures["generate_with_codes"]
    z = np.random.default_rng(0).standard_normal((1, 4)).astype(np.float32)
    corner = fn(z=z, categorical=np.array([[2]], np.int32), continuous=np.array([[0, 1.0]], "f4"))
    corner = to_uint8(corner["images"].numpy())[0, ..., 0]
    np.testing.assert_array_equal(_grid(out)[32:, -16:], corner)  # last category, code 1 at +1
    assert sample.main([str(exported), "--codes", "1", "--num", "4", "--out", str(out)]) == 0
    with pytest.raises(SystemExit):
        sample.main([str(exported), "--traverse", "5", "--out", str(out)])
    assert "continuous code index in [0, 2)" in capsys.readouterr().err
