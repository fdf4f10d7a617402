"""Quality metrics against closed forms and direct NumPy implementations."""

import re

import numpy as np
import pytest
from conftest import make_model, random_images

from keras_gans import evaluation


def test_frechet_distance_matches_the_gaussian_closed_form():
    rng = np.random.default_rng(0)
    d = 3
    mu1, mu2 = np.array([0.0, 1.0, -1.0]), np.array([0.5, 0.0, 0.0])
    a = rng.normal(size=(d, d))
    s1 = a @ a.T + np.eye(d)
    s2 = np.diag([1.0, 2.0, 0.5])
    # Closed form for commuting-free case via scipy-free eigen route: use diagonal S1 too.
    s1_diag = np.diag([2.0, 1.0, 3.0])
    expected = np.sum((mu1 - mu2) ** 2) + np.sum(
        (np.sqrt(np.diag(s1_diag)) - np.sqrt(np.diag(s2))) ** 2
    )
    assert evaluation.gaussian_frechet_distance(mu1, s1_diag, mu2, s2) == pytest.approx(expected)
    # Samples from known Gaussians converge to the closed form.
    x = rng.multivariate_normal(mu1, s1, 200_000)
    y = rng.multivariate_normal(mu2, s2, 200_000)
    from scipy.linalg import sqrtm

    reference = np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2 - 2 * np.real(sqrtm(s1 @ s2)))
    assert evaluation.frechet_distance(x, y) == pytest.approx(reference, rel=0.02)


def test_fid_of_a_set_with_itself_is_zero_and_order_invariant():
    x = np.random.default_rng(1).normal(size=(500, 16))
    assert evaluation.frechet_distance(x, x) == pytest.approx(0.0, abs=1e-8)
    y = np.random.default_rng(2).normal(loc=0.3, size=(400, 16))
    perm = np.random.default_rng(3).permutation(400)
    assert evaluation.frechet_distance(x, y) == pytest.approx(
        evaluation.frechet_distance(x, y[perm])
    )


def test_kid_matches_a_direct_unbiased_mmd():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(60, 5)), rng.normal(loc=0.5, size=(50, 5))

    def k(a, b):
        return (a @ b / 5 + 1) ** 3

    m, n = len(x), len(y)
    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(n)) / (m * n)

    def direct(a, b):
        m, n = len(a), len(b)
        aa = sum(k(a[i], a[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
        bb = sum(k(b[i], b[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
        return aa + bb - 2 * sum(k(a[i], b[j]) for i in range(m) for j in range(n)) / (m * n)

    assert evaluation._polynomial_mmd2(x, y) == pytest.approx(xx + yy - 2 * xy, rel=1e-10)
    # One subset of 50 from each set: the subsets the seeded draw picks.
    rng = np.random.default_rng(0)
    picked_x, picked_y = rng.choice(60, 50, replace=False), rng.choice(50, 50, replace=False)
    kid, se = evaluation.kernel_inception_distance(x, y, subsets=1, subset_size=50)
    assert kid == pytest.approx(direct(x[picked_x], y[picked_y]), rel=1e-10) and se == 0.0
    # All 50 of each: the estimate on exactly those sets, whatever their order.
    full, _ = evaluation.kernel_inception_distance(x[:50], y, subsets=1, subset_size=50)
    assert full == pytest.approx(direct(x[:50], y), rel=1e-10)
    # Five subsets: the mean and the standard error of the five estimates.
    rng = np.random.default_rng(0)
    values = [
        direct(x[rng.choice(60, 30, replace=False)], y[rng.choice(50, 30, replace=False)])
        for _ in range(5)
    ]
    mean, error = evaluation.kernel_inception_distance(x, y, subsets=5, subset_size=30)
    assert mean == pytest.approx(np.mean(values), rel=1e-10)
    assert error == pytest.approx(np.std(values, ddof=1) / np.sqrt(5), rel=1e-8)


def test_precision_recall_on_constructed_point_clouds():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 2))
    assert evaluation.precision_recall(x, x.copy()) == (1.0, 1.0)
    far = x + 100.0
    assert evaluation.precision_recall(x, far) == (0.0, 0.0)
    # Fakes covering only half the real modes: high precision, recall about half.
    real = np.concatenate([rng.normal(size=(200, 2)), rng.normal(size=(200, 2)) + 50])
    fake = rng.normal(size=(200, 2))
    precision, recall = evaluation.precision_recall(real, fake)
    assert precision > 0.9 and 0.4 < recall < 0.6


def test_code_accuracy_recovers_a_known_permutation():
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 10, 1000)
    permutation = rng.permutation(10)
    predicted = permutation[codes]
    assert evaluation.categorical_code_accuracy(codes, predicted, 10) == 1.0
    noisy = predicted.copy()
    noisy[:100] = (noisy[:100] + 1) % 10
    assert evaluation.categorical_code_accuracy(codes, noisy, 10) == pytest.approx(0.9)


def test_classifier_score_bounds():
    uniform_confident = np.eye(10)[np.arange(1000) % 10]
    assert evaluation.classifier_score(uniform_confident)[0] == pytest.approx(10.0, rel=1e-6)
    collapsed = np.tile(np.eye(10)[:1], (1000, 1))
    assert evaluation.classifier_score(collapsed)[0] == pytest.approx(1.0, rel=1e-6)


def test_evaluate_end_to_end_with_a_domain_classifier():
    from keras_gans import data

    x, y = (
        t.numpy()
        for t in next(
            iter(
                data.load_dataset(
                    "digits", image_size=8, batch_size=1797, shuffle=False, with_labels=True
                )
            )
        )
    )
    classifier = evaluation.DomainClassifier.train(x[:1500], y[:1500], epochs=8)
    assert classifier.accuracy(x[1500:], y[1500:]) > 0.8
    gan = make_model("infogan", (8, 8, 1))
    gan.compile()
    gan.train_on_batch(random_images(16, (8, 8, 1)))
    out = evaluation.evaluate(gan, x[1500:], classifier, num_samples=200, kid_subset_size=100)
    assert set(out) >= {
        "fid",
        "kid",
        "kid_se",
        "precision",
        "recall",
        "classifier_score",
        "code_accuracy",
        "continuous_mae",
    }
    assert out["fid"] > evaluation.frechet_distance(
        classifier.features(x[:297]), classifier.features(x[1500:])
    )
    # The same samples (evaluate's seed 0) scored here by hand.
    images, (categorical, _) = evaluation._generate_with_codes(gan, 200, 0)
    probs = classifier.probabilities(images)
    assert out["classifier_score"] == pytest.approx(evaluation.classifier_score(probs)[0])
    assert out["code_accuracy"] == pytest.approx(
        evaluation.categorical_code_accuracy(categorical[:, 0], probs.argmax(-1), 10)
    )


def test_train_with_evaluation_and_the_evaluate_command(tmp_path, monkeypatch, capsys):
    from test_cli import FAST, _events

    import train
    from keras_gans import evaluate

    run = tmp_path / "run"
    assert (
        train.main(
            [
                "--model",
                "infogan",
                "--epochs",
                "1",
                *FAST,
                "--run-dir",
                str(run),
                "--eval-every",
                "1",
                "--eval-samples",
                "200",
            ]
        )
        == 0
    )
    assert (run / "domain_classifier.keras").is_file()
    tags = _events(run / "logs" / "train")
    for name in ("fid", "kid", "precision", "recall", "classifier_score", "code_accuracy"):
        assert tags[f"epoch_eval_{name}"] == [0]
        assert _events(run / "logs")[f"final/eval_{name}"] == [0]  # HParams metrics
    monkeypatch.setenv("KERAS_GANS_CACHE", str(tmp_path / "cache"))
    capsys.readouterr()
    argv = [str(run), "--dataset", "digits", "--samples", "300", "--reference", "300"]
    assert evaluate.main([*argv, "--cas"]) == 0
    out = capsys.readouterr().out
    assert "protocol: 300 generated vs 300 real images of digits" in out
    assert "classifier trained and cached" in out and "code_accuracy" in out
    assert (tmp_path / "cache" / "classifiers" / "digits-8x8x1.keras").is_file()
    # CAS of the InfoGAN read as a labeller: 1,497 labelled images beyond the reference.
    line = next(x for x in out.splitlines() if x.startswith("Classification Accuracy Score"))
    cas, ceiling = (float(v) for v in re.findall(r"\d\.\d{4}", line))
    assert "trained on 1497 images per side, tested on 300 real ones" in line
    assert 0.0 <= cas < ceiling and ceiling > 0.8  # one epoch of InfoGAN is far from the ceiling
    rows = out.split(line)[1].strip().splitlines()[1:]
    assert [int(r.split()[0]) for r in rows] == list(range(10))
    assert sum(int(r.split()[3]) for r in rows) == 300
    # An exported generator without generate_with_labels has no classes: one line, exit 2.
    from keras_gans.export import export_generator, load_gan

    export_generator(load_gan(run), tmp_path / "exported")
    with pytest.raises(SystemExit) as exit_info:
        evaluate.main([str(tmp_path / "exported"), *argv[1:], "--cas"])
    assert exit_info.value.code == 2
    assert "generate_with_labels" in capsys.readouterr().err.strip().splitlines()[-1]


def test_inception_weights_download_offline_says_so(monkeypatch):
    """Keras' real InceptionV3 path runs up to its download; only the URL fetch is refused."""
    import urllib.error
    import urllib.request

    urls = []

    def refuse(url, *args, **kwargs):
        urls.append(str(getattr(url, "full_url", url)))
        raise urllib.error.URLError("refused by the test")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    with pytest.raises(RuntimeError) as info:
        evaluation.InceptionFeatures()
    message = str(info.value)
    assert message.startswith("cannot load InceptionV3 weights (no network connection)")
    assert evaluation.INCEPTION_WEIGHTS in message and "weights=PATH" in message
    assert any(evaluation.INCEPTION_WEIGHTS in url for url in urls)
