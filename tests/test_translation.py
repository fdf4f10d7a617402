"""Image-to-image GANs: networks, losses on known images, isolated updates, the history
pool, save/load, export in a TensorFlow-only process, paired data and its errors."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import random_images, run_tensorflow_only

import keras_gans
from keras_gans import data, networks
from keras_gans.export import ExportError, export_generator
from keras_gans.images import save_png
from keras_gans.models.cyclegan import ImagePool

SHAPE = (16, 16, 1)


def _pairs(n=8, shape=SHAPE, seed=0):
    return random_images(n, shape, seed=seed), random_images(n, shape, seed=seed + 1)


def _model(name, **kwargs):
    kwargs.setdefault("seed", 0)
    kwargs.setdefault("base_filters", 4)
    if name == "pix2pix":
        return keras_gans.Pix2Pix(image_shape=SHAPE, **kwargs)
    if name == "srgan":
        return keras_gans.SRGAN(image_shape=SHAPE, blocks=1, **kwargs)
    return keras_gans.CycleGAN(image_shape=SHAPE, blocks=1, pool_size=4, **kwargs)


def _dataset(name, n=8, batch=4):
    a, b = _pairs(n)
    if name == "srgan":
        a = tf.image.resize(b, (4, 4), method="area").numpy()
    return tf.data.Dataset.from_tensor_slices((a, b)).batch(batch)


@pytest.fixture(scope="module")
def trained():
    """One compiled model of each kind after two steps (shared by the tests below).

    Eager: tracing CycleGAN's step takes seconds, ten times a few eager steps; the
    graph path is exercised by the runs through train.py."""
    models = {}
    for name in ("pix2pix", "srgan", "cyclegan"):
        model = models[name] = _model(name)
        model.compile(run_eagerly=True)
        model.fit(_dataset(name), verbose=0)
    return models


# ------------------------------------------------------------------ networks
@pytest.mark.parametrize("size,depth", [(256, 8), (28, 2), (16, 4)])
def test_unet_halves_to_the_bottleneck_and_mirrors_back(size, depth):
    g = networks.unet_generator((size, size, 3), 1, base_filters=2)
    assert tuple(g.output.shape) == (None, size, size, 1)
    downs = [
        layer for layer in g.layers if layer.name.startswith("down_") and "_" not in layer.name[5:]
    ]
    assert len(downs) == depth
    assert len([layer for layer in g.layers if layer.name.startswith("skip_")]) == depth - 1
    assert g.get_layer(f"down_{depth - 1}").output.shape[1] == size // 2**depth


def test_patchgan_70x70_at_256_and_conditional_inputs():
    d = networks.patch_discriminator((256, 256, 3), condition_channels=3, base_filters=2)
    assert [tuple(i.shape) for i in d.inputs] == [(None, 256, 256, 3)] * 2
    assert tuple(d.output.shape) == (None, 32, 32, 1)  # the paper's 70x70 PatchGAN grid
    assert tuple(networks.patch_discriminator((28, 28, 1)).output.shape) == (None, 7, 7, 1)
    with pytest.raises(ValueError, match="square images of 8 to 256 pixels"):
        networks.patch_discriminator((300, 300, 3))


def test_resnet_and_superresolution_generator_shapes():
    g = networks.resnet_generator((28, 28, 1), 3, base_filters=2, blocks=2)
    assert tuple(g.output.shape) == (None, 28, 28, 3)
    assert g.get_layer("res_1").output.shape[1] == 7
    sr = networks.superresolution_generator((32, 32, 3), 4, base_filters=4, blocks=1)
    assert tuple(sr.input.shape) == (None, 8, 8, 3) and tuple(sr.output.shape) == (None, 32, 32, 3)
    with pytest.raises(ValueError, match="multiple of 4"):
        networks.superresolution_generator((30, 30, 3), 4)


def test_superresolution_generator_starts_as_bilinear_upsampling_and_model_clips():
    low = random_images(2, (4, 4, 1), seed=5)
    sr = networks.superresolution_generator((16, 16, 1), 4, base_filters=4, blocks=1)
    expected = keras.layers.UpSampling2D(4, interpolation="bilinear")(low).numpy()
    np.testing.assert_allclose(sr(low).numpy(), expected, atol=1e-6)
    model = keras_gans.SRGAN(sr, networks.patch_discriminator((16, 16, 1)), image_shape=SHAPE)
    np.testing.assert_allclose(model(3 * low).numpy(), np.clip(3 * expected, -1, 1), atol=1e-6)


def test_pixel_shuffle_moves_channel_groups_into_space():
    x = np.arange(8, dtype="float32").reshape(1, 1, 2, 4)
    out = networks.PixelShuffle(2)(x).numpy()
    assert out.shape == (1, 2, 4, 1)
    np.testing.assert_array_equal(out[0, :, :, 0], [[0, 1, 4, 5], [2, 3, 6, 7]])


# ------------------------------------------------------------ losses on known images
def _scaling(factor, shape, name):
    """A generator that multiplies its input by ``factor`` (a fixed 1x1 convolution)."""
    inputs = keras.Input(shape)
    conv = keras.layers.Conv2D(shape[-1], 1, use_bias=False, name="scale")
    out = conv(inputs)
    conv.kernel.assign(factor * np.eye(shape[-1]).reshape(1, 1, *[shape[-1]] * 2))
    return keras.Model(inputs, out, name=name)


def test_cyclegan_cycle_and_identity_terms_on_known_images():
    shape = (8, 8, 1)
    a, b = random_images(2, shape, seed=1), random_images(2, shape, seed=2)
    model = keras_gans.CycleGAN(
        _scaling(0.5, shape, "g_ab"),
        _scaling(2.0, shape, "g_ba"),
        image_shape=shape,
        base_filters=2,
        pool_size=0,
        blocks=1,
    )
    model.compile(keras.optimizers.SGD(0.0), keras.optimizers.SGD(0.0), run_eagerly=True)
    logs = model.train_on_batch(a, b, return_dict=True)
    # G_BA(G_AB(x)) = x and G_AB(G_BA(x)) = x: no cycle loss.
    assert logs["cycle"] == pytest.approx(0.0, abs=1e-7)
    # |G_AB(b) - b| = 0.5|b|, |G_BA(a) - a| = |a|.
    expected = 0.5 * np.abs(b).mean() + np.abs(a).mean()
    assert logs["identity"] == pytest.approx(expected, rel=1e-5)
    d_b, d_a = model.discriminator(0.5 * a), model.discriminator_a(2.0 * b)
    adversarial = np.mean((d_b.numpy() - 1) ** 2) + np.mean((d_a.numpy() - 1) ** 2)
    assert logs["g_loss"] == pytest.approx(adversarial + 5.0 * expected, rel=1e-4)


def test_pix2pix_generator_loss_is_adversarial_plus_lambda_l1():
    model = _model("pix2pix", l1_weight=100.0)
    model.compile(keras.optimizers.SGD(0.0), keras.optimizers.SGD(0.0), run_eagerly=True)
    source, target = _pairs(4)
    logs = model.train_on_batch(source, target, return_dict=True)
    output = model.generator(source, training=True).numpy()  # no dropout randomness: rate
    logits = model.discriminator([source, output], training=True).numpy()
    adversarial = np.mean(np.log1p(np.exp(-logits)))
    # Dropout makes two training-mode passes differ: the L1 term is bounded, not equal.
    assert logs["l1"] == pytest.approx(np.abs(output - target).mean(), rel=0.05)
    assert logs["g_loss"] == pytest.approx(100.0 * logs["l1"] + adversarial, rel=0.02)


# ------------------------------------------------------------ each update its own networks
@pytest.mark.parametrize("name", ["pix2pix", "srgan", "cyclegan"])
def test_each_optimizer_moves_only_its_own_networks(name):
    for frozen in ("g", "d"):
        model = _model(name)
        rates = {"g": 1e-2, "d": 1e-2, frozen: 0.0}
        model.compile(
            keras.optimizers.Adam(rates["g"]), keras.optimizers.Adam(rates["d"]), run_eagerly=True
        )
        before = {
            n: [w.numpy() for w in getattr(model, n).trainable_weights]
            for n in (*model.generator_names, *model.discriminator_names)
        }
        model.fit(_dataset(name, n=4), verbose=0)
        for network, weights in before.items():
            after = getattr(model, network).trainable_weights
            moved = max(float(np.abs(w.numpy() - b).max()) for w, b in zip(after, weights))
            own = "g" if network in model.generator_names else "d"
            assert (moved > 1e-4) == (own != frozen), (network, frozen, moved)
    assert len(model.generator_variables) == sum(
        len(getattr(model, n).trainable_weights) for n in model.generator_names
    )


@pytest.mark.parametrize("name", ["pix2pix", "srgan", "cyclegan"])
def test_one_step_under_mixed_bfloat16(name):
    keras.config.set_dtype_policy("mixed_bfloat16")  # the autouse fixture restores float32
    model = _model(name)
    model.compile(run_eagerly=True)
    logs = model.fit(_dataset(name, n=4), verbose=0).history
    assert all(np.isfinite(v[-1]) for v in logs.values())
    source = next(iter(_dataset(name, n=4)))[0]
    assert (
        model(source).dtype == tf.float32 and model.generator.layers[1].compute_dtype == "bfloat16"
    )


# ------------------------------------------------------------ history pool
def test_history_pool_fills_then_swaps_half_the_time():
    pool = ImagePool(4, (1, 1, 1))
    seed = keras.random.SeedGenerator(0)
    first = np.arange(1, 4, dtype="float32").reshape(3, 1, 1, 1)
    np.testing.assert_array_equal(pool.query(first, seed).numpy(), first)  # filling
    second = np.array([4.0, 5.0], "float32").reshape(2, 1, 1, 1)
    out = pool.query(second, seed).numpy().ravel()
    assert out[0] == 4.0 and int(pool.count.numpy()) == 4  # the last free slot
    seen, swapped = set(range(1, 6)), 0
    for step in range(200):
        held = set(pool.images.numpy().ravel())
        new = np.full((2, 1, 1, 1), 100.0 + step, "float32")
        out = pool.query(new, seed).numpy().ravel()
        for value in out:
            assert value == 100.0 + step or value in held  # a new image or a stored one
            swapped += value != 100.0 + step
        stored = set(pool.images.numpy().ravel())
        assert stored <= held | {100.0 + step} and len(pool.images.numpy()) == 4
        seen.add(100.0 + step)
    assert 150 < swapped < 250  # about half of 400 draws


# ------------------------------------------------------------ save, load, continue
@pytest.mark.parametrize("name", ["pix2pix", "cyclegan"])
def test_save_load_and_continued_training_are_identical(trained, tmp_path, name):
    model = trained[name]
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    source = _pairs(2)[0]
    np.testing.assert_array_equal(loaded(source).numpy(), model(source).numpy())
    for m in (model, loaded):
        m.fit(_dataset(name, n=4), verbose=0)
    for network in (*model.generator_names, *model.discriminator_names):
        for w, v in zip(getattr(model, network).weights, getattr(loaded, network).weights):
            np.testing.assert_array_equal(w.numpy(), v.numpy(), err_msg=f"{network}/{w.path}")
    if name == "cyclegan":
        np.testing.assert_array_equal(model.pool_b.images.numpy(), loaded.pool_b.images.numpy())


def test_moving_averages_follow_every_generator_and_translate(tmp_path):
    model = _model("cyclegan", ema_decay=0.5)
    model.compile(g_optimizer=keras.optimizers.SGD(0.1), d_optimizer="sgd", run_eagerly=True)
    names = model.generator_names
    before = {n: [w.numpy() for w in getattr(model, n).trainable_weights] for n in names}
    for n in names:  # the averages start at the generators' weights
        for w, e in zip(getattr(model, n).weights, getattr(model, f"ema_{n}").weights):
            np.testing.assert_array_equal(w.numpy(), e.numpy())
    model.fit(_dataset("cyclegan", n=4), verbose=0)
    decay = min(0.5, 2 / 11)  # the warm-up at generator step 1
    for n in names:
        after = getattr(model, n).trainable_weights
        averaged = getattr(model, f"ema_{n}").trainable_weights
        assert any(not np.array_equal(b, a.numpy()) for b, a in zip(before[n], after))
        for b, a, e in zip(before[n], after, averaged):
            np.testing.assert_allclose(e.numpy(), decay * b + (1 - decay) * a.numpy(), atol=1e-6)
    x = _pairs(2)[0]
    np.testing.assert_array_equal(model(x).numpy(), model.ema_generator(x).numpy())
    np.testing.assert_array_equal(model.translate_back(x), model.ema_generator_ba(x).numpy())
    assert not np.array_equal(model(x).numpy(), model.generator(x).numpy())
    model.save(tmp_path / "ema.keras")
    loaded = keras.saving.load_model(tmp_path / "ema.keras")
    assert loaded.ema_decay == 0.5
    np.testing.assert_array_equal(loaded(x).numpy(), model(x).numpy())
    served = tf.saved_model.load(str(export_generator(model, tmp_path / "export")))
    for signature, network in [
        ("translate", "ema_generator"),
        ("translate_ba", "ema_generator_ba"),
    ]:
        np.testing.assert_allclose(
            served.signatures[signature](images=tf.constant(x))["images"].numpy(),
            getattr(model, network)(x).numpy(),
            atol=1e-5,
        )
    loaded.use_ema = False
    np.testing.assert_array_equal(loaded(x).numpy(), model.generator(x).numpy())


def test_bad_options_name_themselves():
    with pytest.raises(ValueError, match="l1_weight must be a non-negative number"):
        keras_gans.Pix2Pix(image_shape=SHAPE, l1_weight=-1)
    with pytest.raises(ValueError, match="scale must be 2, 4 or 8"):
        keras_gans.SRGAN(image_shape=SHAPE, scale=3)
    with pytest.raises(ValueError, match="pool_size must be a non-negative integer"):
        keras_gans.CycleGAN(image_shape=SHAPE, pool_size=-1)
    with pytest.raises(ValueError, match="unknown adversarial loss 'lsgan'"):
        keras_gans.Pix2Pix(image_shape=SHAPE, adversarial_loss="lsgan")


def test_linear_decay_schedule():
    schedule = keras_gans.LinearDecay(2e-4, constant_steps=100, decay_steps=100)
    assert [float(schedule(s)) for s in (0, 100, 150, 200, 300)] == pytest.approx(
        [2e-4, 2e-4, 1e-4, 0.0, 0.0]
    )
    restored = keras.optimizers.schedules.deserialize(
        keras.optimizers.schedules.serialize(schedule)
    )
    assert float(restored(150)) == pytest.approx(1e-4)


# ------------------------------------------------------------ export
CHECK_SCRIPT = r"""
import json, sys
import numpy as np
import tensorflow as tf
out = {}
for path in sys.argv[1:]:
    m = tf.saved_model.load(path)
    x = np.load(path + ".npy")
    report = {"signatures": sorted(m.signatures)}
    for name in m.signatures:
        if name.endswith("uint8"):
            u8 = ((x + 1) * 127.5).round().astype("uint8")
            y = m.signatures[name](images=tf.constant(u8))["images"]
            report[name] = [str(y.dtype.name), list(y.shape)]
        else:
            y = m.signatures[name](images=tf.constant(x))["images"].numpy()
            np.save(path + "." + name + ".npy", y)
    report["keras_gans_imported"] = "keras_gans" in sys.modules
    out[path] = report
print(json.dumps(out))
"""


def test_exports_are_used_from_a_tensorflow_only_process(trained, tmp_path):
    paths, inputs = [], {}
    for name, model in trained.items():
        target = export_generator(model, tmp_path / name)
        x = _dataset(name, n=4).unbatch().batch(3).take(1).get_single_element()[0].numpy()
        np.save(str(target) + ".npy", x)
        paths.append(str(target))
        inputs[name] = (target, x)
    result = run_tensorflow_only(CHECK_SCRIPT, paths, tmp_path)
    reports = json.loads(result.stdout.strip().splitlines()[-1])
    for name, (target, x) in inputs.items():
        report = reports[str(target)]
        directions = [""] + (["_ba"] if name == "cyclegan" else [])
        assert report["signatures"] == sorted(
            ["serving_default"] + [f"translate{d}{u}" for d in directions for u in ("", "_uint8")]
        )
        assert report["keras_gans_imported"] is False
        model = trained[name]
        served = np.load(str(target) + ".translate.npy")
        np.testing.assert_allclose(served, model(x).numpy(), atol=1e-5)
        np.testing.assert_array_equal(np.load(str(target) + ".serving_default.npy"), served)
        assert report["translate_uint8"] == ["uint8", [3, 16, 16, 1]]
        if name == "cyclegan":
            back = np.load(str(target) + ".translate_ba.npy")
            np.testing.assert_allclose(back, model.generator_ba(x).numpy(), atol=1e-5)


def test_noise_commands_refuse_a_translator_in_one_line(trained, tmp_path, capsys):
    from keras_gans.cli import evaluate, sample

    target = export_generator(trained["pix2pix"], tmp_path / "p2p")
    model_file = tmp_path / "p2p.keras"
    trained["pix2pix"].save(model_file)
    for main, argv, message in [
        (sample.main, [str(target), "--out", str(tmp_path / "g.png")], "is an image-to-image"),
        (evaluate.main, [str(target), "--dataset", "digits"], "has no sample signature"),
        (evaluate.main, [str(model_file), "--dataset", "digits"], "holds a Pix2Pix: evaluate"),
    ]:
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err


def test_untrained_translator_is_refused(tmp_path):
    model = _model("pix2pix")
    model.compile()
    with pytest.raises(ExportError, match="never been trained"):
        export_generator(model, tmp_path / "m")


# ------------------------------------------------------------ paired data
def _write(path, image):
    save_png(((image + 1) * 127.5).round().astype("uint8"), path)


def test_paired_folders_side_by_side_and_pairing_errors(tmp_path):
    a, b = _pairs(4, (8, 8, 1))
    for i in range(4):
        _write(tmp_path / "ab" / "A" / f"{i}.png", a[i])
        _write(tmp_path / "ab" / "B" / f"{i}.png", b[i])
        _write(tmp_path / "sbs" / f"{i}.png", np.concatenate([a[i], b[i]], axis=1))
    for folder in ("ab", "sbs"):
        ds = data.load_paired(tmp_path / folder, batch_size=4, shuffle=False)
        source, target = next(iter(ds))
        np.testing.assert_allclose(source.numpy(), a, atol=1 / 127)
        np.testing.assert_allclose(target.numpy(), b, atol=1 / 127)
    reverse = next(
        iter(data.load_paired(tmp_path / "sbs", batch_size=4, shuffle=False, reverse=True))
    )
    np.testing.assert_allclose(reverse[0].numpy(), b, atol=1 / 127)
    (tmp_path / "ab" / "B" / "3.png").unlink()
    with pytest.raises(data.DataError, match=r"3.png has no partner with the same name"):
        data.load_paired(tmp_path / "ab")
    _write(tmp_path / "ab" / "B" / "3.png", np.zeros((4, 4, 1)))
    with pytest.raises(data.DataError, match=r"3.png is 8x8 but its partner .*3.png is 4x4"):
        data.load_paired(tmp_path / "ab")
    _write(tmp_path / "sbs" / "odd.png", np.zeros((8, 8, 1)))
    with pytest.raises(data.DataError, match=r"odd.png is 8x8: a side-by-side pair is twice"):
        data.load_paired(tmp_path / "sbs")


def test_unpaired_domains_and_superresolution_pairs(tmp_path):
    for i in range(3):
        _write(tmp_path / "trainA" / f"{i}.png", random_images(1, (8, 8, 1), seed=i)[0])
    for i in range(5):
        _write(tmp_path / "trainB" / f"{i}.png", random_images(1, (8, 8, 3), seed=i)[0])
    ds = data.load_unpaired(tmp_path, batch_size=1, seed=0)
    batches = list(ds)
    assert len(batches) == 5  # the larger domain sets the epoch
    assert batches[0][0].shape == (1, 8, 8, 1) and batches[0][1].shape == (1, 8, 8, 3)
    with pytest.raises(data.DataError, match="needs subfolders A/ and B/"):
        data.load_unpaired(tmp_path / "trainA")
    high = tf.data.Dataset.from_tensor_slices(random_images(4, (8, 8, 1))).batch(2)
    low, target = next(iter(data.superresolution_pairs(high, 4)))
    assert low.shape == (2, 2, 2, 1)
    np.testing.assert_allclose(
        low.numpy()[0, 0, 0, 0], target.numpy()[0, :4, :4, 0].mean(), atol=1e-5
    )
    with pytest.raises(data.DataError, match="not a multiple of the scale 3"):
        data.superresolution_pairs(high, 3)


# ------------------------------------------------------------ train.py
@pytest.fixture(scope="module")
def pair_folder(tmp_path_factory):
    """16 pairs of 16x16 images in A/ and B/ (B is A inverted)."""
    folder = tmp_path_factory.mktemp("pairs")
    for i, image in enumerate(random_images(16, SHAPE, seed=3)):
        _write(folder / "A" / f"{i:02d}.png", image)
        _write(folder / "B" / f"{i:02d}.png", -image)
    return folder


@pytest.mark.parametrize(
    "model,extra,columns",
    [
        ("pix2pix", ["--ema-decay", "0.9"], 3),
        ("srgan", ["--scale", "4", "--blocks", "1", "--loss", "relativistic"], 3),
        ("cyclegan", ["--blocks", "1", "--pool-size", "4"], 6),
    ],
)
def test_short_run_through_train_py(tmp_path, pair_folder, model, extra, columns):
    import train

    run = tmp_path / "run"
    dataset = pair_folder / "A" if model == "srgan" else pair_folder
    argv = ["--model", model, "--dataset", str(dataset), "--batch-size", "4", "--seed", "0"]
    argv += ["--base-filters", "4", "--run-dir", str(run), "--log-every", "2", *extra]
    assert train.main([*argv, "--epochs", "1"]) == 0
    config = json.loads((run / "config.json").read_text())
    assert config["model"] == model and config["base_filters"] == 4
    loaded = keras.saving.load_model(run / "model.keras")
    assert type(loaded).__name__ == {"pix2pix": "Pix2Pix", "srgan": "SRGAN"}.get(model, "CycleGAN")
    assert int(loaded.g_optimizer.iterations) == 4
    # pix2pix: as given; cyclegan: auto is off (its paper); srgan: auto is ESRGAN's 0.999
    assert loaded.ema_decay == {"pix2pix": 0.9, "srgan": 0.999}.get(model)
    from PIL import Image

    with Image.open(run / "samples" / "epoch_001.png") as grid:
        # 8 fixed pairs, one per row: (16 + 1 padding) pixels per tile, shown at 2x.
        assert grid.size == (2 * (17 * columns - 1), 2 * (17 * 8 - 1))
    tags = set()
    for path in (run / "logs").rglob("events.out.tfevents.*"):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            tags |= {value.tag for value in event.summary.value}
    assert "samples" in tags and {"epoch_d_loss", "epoch_g_loss"} <= tags
    if model == "pix2pix":  # resume continues the run
        assert train.main(["--resume", "--run-dir", str(run), "--epochs", "2"]) == 0
        assert (run / "checkpoints" / "epoch_002.keras").is_file()
        assert int(keras.saving.load_model(run / "model.keras").g_optimizer.iterations) == 8


def test_train_py_refuses_options_of_other_models(pair_folder, capsys):
    import train

    for argv, message in [
        (["--model", "pix2pix", "--latent-dim", "4"], "--latent-dim is not for pix2pix"),
        (["--model", "cyclegan", "--scale", "2"], "--scale is for srgan, not cyclegan"),
        (["--model", "dcgan", "--image-size", "128"], "--image-size 128 is for pix2pix"),
        (["--model", "pix2pix", "--dataset", "digits"], "paired data must be a folder"),
        (["--model", "srgan", "--cycle-weight", "1"], "--cycle-weight is for cyclegan, not"),
    ]:
        with pytest.raises(SystemExit) as exit_info:
            train.main([*argv, "--epochs", "1"])
        assert exit_info.value.code == 2
        assert message in capsys.readouterr().err


def test_unpaired_tfds_name_goes_to_its_real_download(tmp_path, monkeypatch):
    """cycle_gan/horse2zebra (a name with a slash) reaches the real builder's download."""
    import requests

    urls = []

    def refuse(self, request, **kwargs):
        urls.append(request.url)
        raise requests.exceptions.ConnectionError(f"refused by the test: {request.url}")

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", refuse)
    with pytest.raises(data.DataError, match="cannot download tensorflow-datasets 'cycle_gan/"):
        data.load_unpaired("cycle_gan/horse2zebra", data_dir=str(tmp_path / "tfds"))
    assert any("horse2zebra" in url for url in urls)
