"""Sample-quality metrics: FID, KID, Inception/classifier score, precision/recall, code accuracy.

All statistics are computed in float64 from feature arrays, so they can be
tested against closed forms. Features come from a feature extractor:

- :class:`DomainClassifier`: a small convnet trained on the labelled training
  data (digits, MNIST, Fashion-MNIST, any labelled folder); its penultimate
  layer gives features and its softmax the classifier score. Works offline,
  and is what makes FID meaningful on MNIST-like data.
- :class:`InceptionFeatures`: InceptionV3 pool features (2048-d) with
  ImageNet weights, images resized to 299x299 bilinearly. Keras downloads the
  weights when online.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import keras
import numpy as np
from scipy.optimize import linear_sum_assignment

from keras_gans.data import is_network_error

__all__ = [
    "DomainClassifier",
    "evaluate",
    "InceptionFeatures",
    "categorical_code_accuracy",
    "classification_accuracy_score",
    "classifier_score",
    "code_to_class",
    "frechet_distance",
    "gaussian_frechet_distance",
    "kernel_inception_distance",
    "load_or_train_classifier",
    "pairwise_diversity",
    "precision_recall",
]


def _psd_sqrt(matrix: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def gaussian_frechet_distance(
    mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray
) -> float:
    """Fréchet distance between two Gaussians (Dowson and Landau 1982; Heusel et al. 2017).

    ``||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2))``, with the trace of the
    square root taken as ``Tr((S1^(1/2) S2 S1^(1/2))^(1/2))``: a symmetric
    positive semi-definite matrix, so eigen-decompositions (no complex parts,
    no ill-conditioned ``sqrtm`` of a non-symmetric product).
    """
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    s1, s2 = np.asarray(sigma1, np.float64), np.asarray(sigma2, np.float64)
    root1 = _psd_sqrt(s1)
    middle = root1 @ s2 @ root1
    trace_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0, None)).sum()
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2.0 * trace_sqrt)


def frechet_distance(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """FID-style Fréchet distance between the Gaussian fits of two feature sets."""
    a, b = np.asarray(features_a, np.float64), np.asarray(features_b, np.float64)
    return gaussian_frechet_distance(
        a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False)
    )


def _polynomial_mmd2(x: np.ndarray, y: np.ndarray) -> float:
    d = x.shape[1]
    kxx = (x @ x.T / d + 1) ** 3
    kyy = (y @ y.T / d + 1) ** 3
    kxy = (x @ y.T / d + 1) ** 3
    m, n = len(x), len(y)
    return float(
        (kxx.sum() - np.trace(kxx)) / (m * (m - 1))
        + (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
        - 2 * kxy.mean()
    )


def kernel_inception_distance(
    features_a: np.ndarray,
    features_b: np.ndarray,
    *,
    subsets: int = 10,
    subset_size: int = 1000,
    seed: int = 0,
) -> tuple[float, float]:
    """KID (Bińkowski et al. 2018): unbiased MMD² with kernel ``(x.y/d + 1)^3``.

    Averaged over ``subsets`` random subsets of ``subset_size`` from each set
    (without replacement within a subset). Returns ``(mean, standard error)``.
    """
    a, b = np.asarray(features_a, np.float64), np.asarray(features_b, np.float64)
    size = min(subset_size, len(a), len(b))
    rng = np.random.default_rng(seed)
    values = [
        _polynomial_mmd2(
            a[rng.choice(len(a), size, replace=False)], b[rng.choice(len(b), size, replace=False)]
        )
        for _ in range(subsets)
    ]
    error = float(np.std(values, ddof=1) / np.sqrt(subsets)) if subsets > 1 else 0.0
    return float(np.mean(values)), error


def classifier_score(probabilities: np.ndarray, splits: int = 10) -> tuple[float, float]:
    """Inception Score (Salimans et al. 2016): ``exp E[KL(p(y|x) || p(y))]`` from probabilities.

    With a domain classifier this is the "classifier score": at most the number
    of classes (10 for digits). Returns mean and standard deviation over splits.
    """
    p = np.asarray(probabilities, np.float64)
    p = np.clip(p, 1e-12, 1.0)
    scores = []
    for part in np.array_split(p, splits):
        marginal = part.mean(0, keepdims=True)
        scores.append(np.exp(np.mean(np.sum(part * (np.log(part) - np.log(marginal)), axis=1))))
    return float(np.mean(scores)), float(np.std(scores))


def _kth_neighbour_radii(x: np.ndarray, k: int) -> np.ndarray:
    d = _distances(x, x)
    return np.sort(d, axis=1)[:, k]  # column 0 is the point itself


def _distances(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    sq = (x**2).sum(1)[:, None] + (y**2).sum(1)[None, :] - 2 * x @ y.T
    return np.sqrt(np.clip(sq, 0, None))


def precision_recall(
    real_features: np.ndarray, fake_features: np.ndarray, k: int = 3
) -> tuple[float, float]:
    """Improved precision and recall (Kynkäänniemi et al. 2019) with k-NN manifolds.

    Precision: fraction of fake samples inside the real manifold (a union of
    balls reaching each real sample's k-th nearest real neighbour); recall:
    fraction of real samples inside the fake manifold.
    """
    real = np.asarray(real_features, np.float64)
    fake = np.asarray(fake_features, np.float64)
    real_radii, fake_radii = _kth_neighbour_radii(real, k), _kth_neighbour_radii(fake, k)
    fake_to_real = _distances(fake, real)
    precision = np.mean(np.any(fake_to_real <= real_radii[None, :], axis=1))
    recall = np.mean(np.any(fake_to_real.T <= fake_radii[None, :], axis=1))
    return float(precision), float(recall)


def pairwise_diversity(images: np.ndarray) -> float:
    """Mean Euclidean distance between all pairs of images, per pixel (RMS difference).

    Near zero for a collapsed generator; comparable to the same statistic on
    real images for a diverse one.
    """
    x = np.asarray(images, np.float64).reshape(len(images), -1)
    if len(x) < 2:
        raise ValueError("pairwise_diversity needs at least 2 images")
    sq = np.sum(x**2, axis=1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2.0 * x @ x.T, 0.0)
    i, j = np.triu_indices(len(x), k=1)
    return float(np.mean(np.sqrt(d2[i, j])) / np.sqrt(x.shape[1]))


def categorical_code_accuracy(
    codes: np.ndarray, predicted: np.ndarray, num_classes: int | None = None
) -> float:
    """Accuracy of InfoGAN's categorical code as a classifier, after the best code-class matching.

    The matching maximises agreement with the Hungarian algorithm (the code's
    values are unordered), as in the InfoGAN paper's MNIST evaluation.
    """
    codes, predicted = np.asarray(codes, int), np.asarray(predicted, int)
    n = num_classes or int(max(codes.max(), predicted.max()) + 1)
    confusion = np.zeros((n, n), np.int64)
    np.add.at(confusion, (codes, predicted), 1)
    rows, cols = linear_sum_assignment(-confusion)
    return float(confusion[rows, cols].sum() / len(codes))


def code_to_class(
    gan: Any, classifier: DomainClassifier, *, num_samples: int = 2000, seed: int = 0
) -> np.ndarray:
    """The class of each value of an InfoGAN's first categorical code.

    ``num_samples`` images are generated with random codes and classified by
    ``classifier`` (trained on a small labelled set); code values and classes
    are matched one to one to maximise agreement (Hungarian algorithm, as
    :func:`categorical_code_accuracy`); a code value left over (more values
    than classes) gets the class it is most often classified as. Use the result
    with :func:`keras_gans.synthetic.labelled_source` to use an InfoGAN trained
    without labels as a labelled data source.
    """
    images, codes = _generate_with_codes(gan, num_samples, seed)
    if codes is None:
        raise ValueError(f"{type(gan).__name__} has no categorical code")
    code = np.asarray(codes[0])[:, 0].astype(int)
    predicted = classifier.probabilities(images).argmax(-1)
    k = gan.categorical_codes[0]
    num_classes = int(classifier.model.output_shape[-1])
    confusion = np.zeros((k, num_classes), np.int64)
    np.add.at(confusion, (code, predicted), 1)
    mapping = confusion.argmax(axis=1)
    rows, cols = linear_sum_assignment(-confusion)
    mapping[rows] = cols
    return mapping


def classification_accuracy_score(
    source: Any,
    train_images: np.ndarray,
    train_labels: np.ndarray,
    test_images: np.ndarray,
    test_labels: np.ndarray,
    *,
    epochs: int = 10,
    seed: int = 0,
) -> dict[str, Any]:
    """Classification Accuracy Score (Ravuri and Vinyals 2019), beside its real-data ceiling.

    A :class:`DomainClassifier` trained only on generated images, as many per
    class as ``train_labels`` holds, is tested on the real ``test_images``:
    that is the CAS. The same classifier trained on the real ``train_images``
    is the ceiling. Unlike FID, CAS asks whether each class's generated
    distribution is right (a generator drawing sharp but narrow, or mislabelled,
    classes scores low).

    Args:
        source: a :class:`keras_gans.synthetic.LabelledSource` or anything
            :func:`keras_gans.synthetic.labelled_source` takes.

    Returns:
        ``cas`` and ``ceiling`` (overall test accuracy), ``per_class``:
        ``{c: {"cas", "ceiling", "test_images"}}``, and ``train_images`` per class.
    """
    from keras_gans import synthetic

    if not isinstance(source, synthetic.LabelledSource):
        source = synthetic.labelled_source(source)
    train_labels = np.asarray(train_labels, np.int32).reshape(-1)
    test_labels = np.asarray(test_labels, np.int32).reshape(-1)
    counts = np.bincount(train_labels, minlength=source.num_classes)
    # The same number of images per class as the real training set, class by class.
    rng = np.random.default_rng(seed)
    fake_labels = np.repeat(np.arange(source.num_classes, dtype=np.int32), counts)
    fake = np.concatenate(
        [source.images(fake_labels[i : i + 256], rng) for i in range(0, len(fake_labels), 256)]
    )
    # Both training sets in one order of labels (class by class, then one shuffle),
    # so a generator that returned the real images would train the same classifier.
    order = np.argsort(train_labels, kind="stable")
    shuffle = np.random.default_rng(seed).permutation(len(order))
    real_images = np.asarray(train_images, np.float32)[order][shuffle]
    real_labels = train_labels[order][shuffle]
    fake, fake_labels = fake[shuffle], fake_labels[shuffle]
    results = {}
    for name, (x, y) in {"cas": (fake, fake_labels), "ceiling": (real_images, real_labels)}.items():
        classifier = DomainClassifier.train(x, y, epochs=epochs, seed=seed)
        predicted = classifier.probabilities(test_images).argmax(-1)
        results[name] = predicted == test_labels
    per_class = {
        c: {
            "cas": float(results["cas"][test_labels == c].mean()),
            "ceiling": float(results["ceiling"][test_labels == c].mean()),
            "test_images": int(np.sum(test_labels == c)),
        }
        for c in range(source.num_classes)
        if np.any(test_labels == c)
    }
    return {
        "cas": float(results["cas"].mean()),
        "ceiling": float(results["ceiling"].mean()),
        "per_class": per_class,
        "train_images": counts.tolist(),
    }


class DomainClassifier:
    """A small convnet classifier of the training domain, used as a feature extractor.

    ``features`` are its penultimate (128-d) activations, ``probabilities``
    its softmax. Train it once per data set with :meth:`train` and keep it
    with :meth:`save` / :meth:`load`.
    """

    def __init__(self, model: keras.Model) -> None:
        self.model = model
        self._features = keras.Model(model.inputs, model.get_layer("features").output)

    @staticmethod
    def build(image_shape: tuple[int, int, int], num_classes: int) -> keras.Model:
        """The classifier network."""
        x = inputs = keras.Input(image_shape)
        for filters in (32, 64):
            x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
            x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
            x = keras.layers.MaxPooling2D()(x) if x.shape[1] >= 4 else x
        x = keras.layers.Flatten()(x)
        x = keras.layers.Dropout(0.3)(x)
        x = keras.layers.Dense(128, activation="relu", name="features")(x)
        outputs = keras.layers.Dense(num_classes, activation="softmax", dtype="float32")(x)
        return keras.Model(inputs, outputs, name="domain_classifier")

    @classmethod
    def train(
        cls,
        images: np.ndarray,
        labels: np.ndarray,
        *,
        epochs: int = 10,
        batch_size: int = 128,
        seed: int = 0,
        verbose: int = 0,
    ) -> DomainClassifier:
        """Train on images in [-1, 1] with integer labels (10% held out for validation)."""
        keras.utils.set_random_seed(seed)
        labels = np.asarray(labels, np.int64)
        model = cls.build(tuple(images.shape[1:]), int(labels.max()) + 1)
        model.compile(
            optimizer=keras.optimizers.Adam(1e-3),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        model.fit(
            images,
            labels,
            epochs=epochs,
            batch_size=batch_size,
            validation_split=0.1,
            verbose=verbose,
        )
        return cls(model)

    def accuracy(self, images: np.ndarray, labels: np.ndarray) -> float:
        """Classification accuracy on labelled images."""
        return float(np.mean(self.probabilities(images).argmax(-1) == np.asarray(labels)))

    def features(self, images: np.ndarray, batch_size: int = 512) -> np.ndarray:
        """Penultimate-layer features (float64)."""
        return np.asarray(
            self._features.predict(images, batch_size=batch_size, verbose=0), np.float64
        )

    def probabilities(self, images: np.ndarray, batch_size: int = 512) -> np.ndarray:
        """Softmax class probabilities (float64)."""
        return np.asarray(self.model.predict(images, batch_size=batch_size, verbose=0), np.float64)

    def save(self, path: str | os.PathLike) -> None:
        """Save the classifier as a ``.keras`` file."""
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.model.save(path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> DomainClassifier:
        """Load a classifier saved with :meth:`save`."""
        return cls(keras.saving.load_model(path))


INCEPTION_WEIGHTS = "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"


class InceptionFeatures:
    """InceptionV3 (ImageNet) 2048-d pool features; images resized to 299x299, bilinear.

    Keras downloads the weights on first use. Offline, put the file
    ``inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5`` in
    ``~/.keras/models/`` (or pass ``weights=PATH``).
    """

    def __init__(self, weights: str = "imagenet") -> None:
        try:
            self.model = keras.applications.InceptionV3(
                include_top=False, pooling="avg", weights=weights, input_shape=(299, 299, 3)
            )
        except Exception as e:
            cause = "no network connection" if is_network_error(e) else type(e).__name__
            raise RuntimeError(
                f"cannot load InceptionV3 weights ({cause}): offline, put "
                f"{INCEPTION_WEIGHTS} in {Path.home() / '.keras' / 'models'} or pass weights=PATH"
            ) from None

    def features(self, images: np.ndarray, batch_size: int = 64) -> np.ndarray:
        """Pool features of images in [-1, 1] (any size, 1 or 3 channels)."""
        import tensorflow as tf

        out = []
        for i in range(0, len(images), batch_size):
            x = tf.convert_to_tensor(images[i : i + batch_size], tf.float32)
            if x.shape[-1] == 1:
                x = tf.image.grayscale_to_rgb(x)
            x = tf.image.resize(x, (299, 299), method="bilinear")  # already in [-1, 1]
            out.append(self.model(x, training=False).numpy())
        return np.concatenate(out).astype(np.float64)


def _generate_with_codes(gan, num_images: int, seed: int):
    """Images, and the latent codes they were generated from (None for models without)."""
    inputs, codes = gan.sample_inputs_and_codes(num_images, keras.random.SeedGenerator(seed))
    codes = None if codes is None else tuple(keras.ops.convert_to_numpy(c) for c in codes)
    return gan.generate_from_inputs(inputs), codes


def conditional_metrics(
    gan,
    real_images: np.ndarray,
    real_labels: np.ndarray,
    classifier: DomainClassifier,
    *,
    samples_per_class: int = 200,
    seed: int = 0,
) -> dict[str, Any]:
    """How well a class-conditional model follows the requested label.

    For each class ``c``: ``samples_per_class`` images generated with label
    ``c``, classified by the domain classifier (trained on the same labels),
    and compared with the real images of class ``c`` in the classifier's
    feature space. Returns ``label_accuracy`` (fraction classified as requested,
    over all classes), ``intra_fid`` (mean over classes of the per-class FID;
    Miyato and Koyama 2018) and ``per_class``: ``{c: {"accuracy", "fid",
    "real_images"}}``. Classes without real images get no FID. Per-class FID
    on a few hundred images is biased upwards: compare models at equal counts.
    """
    real_labels = np.asarray(real_labels).reshape(-1)
    per_class: dict[int, dict[str, float]] = {}
    for c in range(gan.num_classes):
        fake = gan.generate(samples_per_class, seed=seed + c, labels=c)
        accuracy = float(np.mean(classifier.probabilities(fake).argmax(-1) == c))
        entry = {"accuracy": accuracy, "real_images": int(np.sum(real_labels == c))}
        if entry["real_images"] >= 2:
            entry["fid"] = frechet_distance(
                classifier.features(real_images[real_labels == c]), classifier.features(fake)
            )
        per_class[c] = entry
    fids = [entry["fid"] for entry in per_class.values() if "fid" in entry]
    return {
        # Every class has samples_per_class images: the mean of the class accuracies.
        "label_accuracy": float(np.mean([entry["accuracy"] for entry in per_class.values()])),
        "intra_fid": float(np.mean(fids)) if fids else float("nan"),
        "per_class": per_class,
    }


def evaluate(
    gan,
    real_images: np.ndarray,
    classifier: DomainClassifier | None = None,
    *,
    extractor=None,
    num_samples: int = 2000,
    seed: int = 0,
    kid_subset_size: int = 1000,
    real_labels: np.ndarray | None = None,
) -> dict[str, float]:
    """Quality metrics of ``gan``'s samples against ``real_images`` (in [-1, 1]).

    Features come from ``extractor`` (anything with ``features(images)``, e.g.
    :class:`InceptionFeatures`) or, by default, from ``classifier``. Returns
    ``fid``, ``kid`` and ``kid_se``, ``precision``, ``recall``; with a
    classifier also ``classifier_score``; for InfoGAN with a classifier also
    ``code_accuracy`` (first categorical code, Hungarian matching) and
    ``continuous_mae`` (Q head's estimate of the continuous codes); for a
    class-conditional model with a classifier and ``real_labels``, also
    ``label_accuracy`` and ``intra_fid`` (see :func:`conditional_metrics`).
    """
    extractor = extractor or classifier
    if extractor is None:
        raise ValueError("evaluate needs a classifier or a feature extractor")
    fake, codes = _generate_with_codes(gan, num_samples, seed)
    real_f, fake_f = extractor.features(real_images), extractor.features(fake)
    kid, kid_se = kernel_inception_distance(
        real_f, fake_f, subset_size=min(kid_subset_size, len(real_f), len(fake_f))
    )
    precision, recall = precision_recall(real_f[:5000], fake_f[:5000])
    out = {
        "fid": frechet_distance(real_f, fake_f),
        "kid": kid,
        "kid_se": kid_se,
        "precision": precision,
        "recall": recall,
    }
    if classifier is not None:
        probs = classifier.probabilities(fake)
        out["classifier_score"] = classifier_score(probs)[0]
        if codes is not None and gan.categorical_codes:
            out["code_accuracy"] = categorical_code_accuracy(
                codes[0][:, 0], probs.argmax(-1), max(gan.categorical_codes[0], probs.shape[-1])
            )
    if codes is not None and gan.continuous_codes:
        q_cont = np.concatenate(
            [
                keras.ops.convert_to_numpy(gan.discriminator(fake[i : i + 256], training=False)[2])
                for i in range(0, len(fake), 256)
            ]
        )
        out["continuous_mae"] = float(np.mean(np.abs(q_cont - codes[1])))
    if getattr(gan, "conditional", False) and classifier is not None and real_labels is not None:
        conditional = conditional_metrics(
            gan,
            real_images,
            real_labels,
            classifier,
            samples_per_class=max(2, num_samples // gan.num_classes),
            seed=seed,
        )
        out["label_accuracy"] = conditional["label_accuracy"]
        out["intra_fid"] = conditional["intra_fid"]
    return out


def load_or_train_classifier(
    path: str | os.PathLike, images: np.ndarray, labels: np.ndarray | None
) -> DomainClassifier:
    """The domain classifier cached at ``path``, or one trained on ``images`` and cached there."""
    path = Path(path)
    if path.exists():
        return DomainClassifier.load(path)
    if labels is None:
        raise ValueError(
            "the data set has no labels to train a domain classifier: pass "
            "--classifier or --features inception"
        )
    classifier = DomainClassifier.train(images, labels, epochs=8)
    classifier.save(path)
    return classifier
