"""Score a trained GAN from the command line.

    keras-gans evaluate RUN_DIR | MODEL.keras | SAVED_MODEL_DIR --dataset SOURCE

Prints a table of FID, KID, precision/recall and the classifier score (plus
InfoGAN's code accuracy, and for class-conditional models the label accuracy
and intra-class FID with a per-class table) with the protocol used. The
domain classifier is trained on the data set's labelled images the first time
and cached (``--classifier`` to choose the file).

``--cas`` adds the Classification Accuracy Score (Ravuri and Vinyals 2019) of a
class-conditional model, a SavedModel with ``generate_with_labels`` or an
InfoGAN (its first categorical code mapped to classes by the domain
classifier): a classifier trained only on generated images, as many per class
as the labelled images beyond the reference, tested on the real reference
images, beside the same classifier trained on those real images (the ceiling).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np


def _cache_path(dataset: str, shape: tuple[int, ...]) -> Path:
    name = Path(dataset).name.split(".")[0] or "data"
    root = Path(os.environ.get("KERAS_GANS_CACHE", Path.home() / ".cache" / "keras_gans"))
    return root / "classifiers" / f"{name}-{shape[0]}x{shape[1]}x{shape[2]}.keras"


TRANSLATOR = (
    "evaluate scores models that draw images from noise; an image-to-image model's "
    "outputs are scored against their targets with model.evaluate(pairs) (L1, PSNR, SSIM) "
    "or benchmarks/image_to_image.py"
)


class _SavedModelSampler:
    """Samples from an exported SavedModel's ``sample`` signature."""

    def __init__(self, path: Path) -> None:
        import tensorflow as tf

        versions = sorted((int(p.name), p) for p in path.glob("*") if p.name.isdigit())
        directory = path if (path / "saved_model.pb").exists() else versions[-1][1]
        signatures = tf.saved_model.load(str(directory)).signatures
        if "sample" not in signatures:
            raise ValueError(f"{directory} has no sample signature: {TRANSLATOR}")
        self.signature = signatures["sample"]

    def images(self, n: int, seed: int) -> np.ndarray:
        import tensorflow as tf

        out = self.signature(num_images=tf.constant(n), seed=tf.constant(seed))["images"]
        return out.numpy().astype(np.float32) / 127.5 - 1.0


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    p = argparse.ArgumentParser(prog="keras-gans evaluate", description=__doc__.split("\n")[0])
    p.add_argument("source", help="run directory, .keras file or exported SavedModel directory")
    p.add_argument("--dataset", required=True, help="reference data (same sources as train.py)")
    p.add_argument("--split", default="test", help="TFDS split for the reference (default test)")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--samples", type=int, default=2000, help="generated images (default 2000)")
    p.add_argument("--reference", type=int, default=2000, help="real images (default 2000)")
    p.add_argument("--features", choices=["classifier", "inception"], default="classifier")
    p.add_argument("--classifier", default=None, help="domain classifier .keras file (cache)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--cas",
        action="store_true",
        help="also the Classification Accuracy Score of a class-conditional model or InfoGAN",
    )
    p.add_argument("--verbose", action="store_true", help="show TensorFlow's start-up messages")
    args = p.parse_args(argv)

    from keras_gans import data, evaluation
    from keras_gans.export import ExportError, load_gan

    source = Path(args.source)
    try:
        if source.is_dir() and (
            list(source.glob("*/saved_model.pb")) or (source / "saved_model.pb").exists()
        ):
            gan, sampler = None, _SavedModelSampler(source)
            shape = sampler.images(1, 0).shape[1:]
        else:
            gan, sampler = load_gan(source), None
            if getattr(gan, "is_translation", False):
                raise ValueError(f"{source} holds a {type(gan).__name__}: {TRANSLATOR}")
            shape = gan.image_shape
        info = data.describe_source(args.dataset, split=args.split, data_dir=args.data_dir)
        images, labels = data.load_arrays(
            args.dataset,
            max(args.reference, 2000) * 2,
            split=args.split,
            image_size=shape[0],
            channels=shape[2],
            seed=args.seed,
            with_labels=info.has_labels,
            data_dir=args.data_dir,
        )
        reference = images[: args.reference]
        path = Path(args.classifier) if args.classifier else _cache_path(args.dataset, shape)
        trained = not path.exists()
        classifier = evaluation.load_or_train_classifier(
            path,
            images[args.reference :] if len(images) > (args.reference + 500) else images,
            None
            if labels is None
            else (labels[args.reference :] if len(images) > args.reference + 500 else labels),
        )
        extractor = evaluation.InceptionFeatures() if args.features == "inception" else None
        cas = _cas(args, gan, source, images, labels, classifier) if args.cas else None
    except (ValueError, ExportError, RuntimeError, FileNotFoundError) as e:
        p.error(str(e))
    per_class = None
    if gan is not None:
        metrics = evaluation.evaluate(
            gan,
            reference,
            classifier,
            extractor=extractor,
            num_samples=args.samples,
            seed=args.seed,
        )
        if gan.conditional and labels is not None:
            conditional = evaluation.conditional_metrics(
                gan,
                reference,
                labels[: args.reference],
                classifier,
                samples_per_class=max(2, args.samples // gan.num_classes),
                seed=args.seed,
            )
            per_class = conditional.pop("per_class")
            metrics.update(conditional)
    else:
        fake = sampler.images(args.samples, args.seed)
        extractor = extractor or classifier
        rf, ff = extractor.features(reference), extractor.features(fake)
        kid, kid_se = evaluation.kernel_inception_distance(rf, ff)
        precision, recall = evaluation.precision_recall(rf, ff)
        metrics = {
            "fid": evaluation.frechet_distance(rf, ff),
            "kid": kid,
            "kid_se": kid_se,
            "precision": precision,
            "recall": recall,
            "classifier_score": evaluation.classifier_score(classifier.probabilities(fake))[0],
        }
    features = (
        "Keras InceptionV3 ImageNet pool (2048-d), bilinear resize to 299x299; FID (Keras "
        "InceptionV3), not comparable with papers' FID (TTUR Inception graph and resizing)"
        if args.features == "inception"
        else "domain classifier penultimate layer (128-d); FID comparable only within this "
        "classifier"
    )
    print(
        f"protocol: {args.samples} generated vs {len(reference)} real images of "
        f"{args.dataset} ({args.split}), {shape[0]}x{shape[1]}x{shape[2]}, seed {args.seed}"
    )
    print(
        f"features: {features}; classifier {'trained and cached' if trained else 'loaded'}: {path}"
    )
    print(f"{'metric':18s} value")
    for key, value in metrics.items():
        print(f"{key:18s} {value:.4f}")
    if per_class:
        print(f"\n{'class':>5s} {'accuracy':>9s} {'FID':>9s} {'real':>5s}")
        for c, row in per_class.items():
            fid = f"{row['fid']:9.2f}" if "fid" in row else f"{'-':>9s}"
            print(f"{c:5d} {row['accuracy']:9.3f} {fid} {row['real_images']:5d}")
    if cas:
        print(
            f"\nClassification Accuracy Score: {cas['cas']:.4f} (real-data ceiling "
            f"{cas['ceiling']:.4f}); trained on {sum(cas['train_images'])} images per side, "
            f"tested on {len(reference)} real ones"
        )
        print(f"{'class':>5s} {'CAS':>7s} {'ceiling':>8s} {'test':>5s}")
        for c, row in cas["per_class"].items():
            print(f"{c:5d} {row['cas']:7.3f} {row['ceiling']:8.3f} {row['test_images']:5d}")
    return 0


def _cas(args, gan, source: Path, images, labels, classifier) -> dict:
    """CAS on the labelled images: those beyond the reference train, the reference tests."""
    from keras_gans import evaluation, synthetic

    if labels is None:
        raise ValueError(f"--cas needs a labelled data set; {args.dataset} has no labels")
    if len(images) <= args.reference:
        raise ValueError(
            f"--cas needs labelled images beyond the {args.reference} reference ones; "
            f"{args.dataset} has {len(images)}: lower --reference"
        )
    if gan is not None and getattr(gan, "categorical_codes", None) and not gan.conditional:
        mapping = evaluation.code_to_class(gan, classifier, seed=args.seed)
        labelled = synthetic.labelled_source(gan, code_to_class=mapping)
    else:
        labelled = synthetic.labelled_source(gan if gan is not None else source)
    return evaluation.classification_accuracy_score(
        labelled,
        images[args.reference :],
        labels[args.reference :],
        images[: args.reference],
        labels[: args.reference],
        seed=args.seed,
    )


if __name__ == "__main__":
    sys.exit(main())
