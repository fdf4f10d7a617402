"""Training throughput of the package versus a keras.io-style reference step.

    python benchmarks/throughput.py            # full table (about 15 min on 2 cores)
    python benchmarks/throughput.py --quick    # WGAN-GP comparison only
    python benchmarks/throughput.py --paired   # ratios with both steps in one process

Every case runs in its own subprocess (so that peak memory is its own) on
synthetic in-memory data: images/s are timed per batch with a callback after a
warm-up epoch (not the whole ``fit`` call), and the median of several epochs
is reported. The baseline (``benchmarks/baseline.py``) uses the same networks,
losses, batch and critic steps; for WGAN-GP both use the keras.io networks.
Results go to ``benchmarks/results/throughput-<date>.json``.

``--paired`` measures the ratio differently, because this machine's speed
drifts by 20% between processes and minutes: the baseline and the package are
built in the same process and trained in alternating rounds of about
``--round-seconds`` each (ABBA order) on the same in-memory batch, and the
ratio is the median of the per-round ratios. Drift then hits both sides of each ratio alike.

FLOPs: forward FLOPs of each network are read from TensorFlow's profiler;
a step is counted as forward + 2x forward for each backward pass
(documented per model in ``step_flops``), which ignores element-wise ops.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

PEAK_FP32_GFLOPS_PER_CORE_GHZ = 64  # 2 AVX-512 FMA units x 16 lanes x 2 flops


def _forward_flops(model, batch: int) -> float:
    import tensorflow as tf
    from tensorflow.python.profiler import model_analyzer, option_builder

    spec = tf.TensorSpec((batch, *model.inputs[0].shape[1:]), tf.float32)
    graph = tf.function(lambda x: model(x, training=True)).get_concrete_function(spec).graph
    opts = option_builder.ProfileOptionBuilder.float_operation()
    opts["output"] = "none"
    return float(model_analyzer.profile(graph, options=opts).total_float_ops)


def step_flops(name: str, gan, batch: int) -> float:
    """FLOPs of one train step: passes of G (fg) and D (fd) counted per algorithm."""
    fg, fd = _forward_flops(gan.generator, batch), _forward_flops(gan.discriminator, batch)
    # D step: G fwd, D fwd+bwd(weights, inputs) on real and fake = fg + 2 * 3fd.
    # G step: G fwd+bwd, D fwd + input bwd = 3fg + 3fd (weights grads of D pruned: 2fd -> use 3).
    gan_step = fg + 6 * fd + 3 * fg + 3 * fd
    if name != "wgan-gp":
        return gan_step
    critic_steps = gan.critic_steps
    # GP adds D fwd + input bwd on x_hat, and its double backward (~2x that) per critic step.
    critic = fg + 6 * fd + 6 * fd
    return critic_steps * critic + 3 * fg + 3 * fd


def _build(case: dict):
    import keras
    from baseline import (
        BaselineGAN,
        BaselineInfoGAN,
        BaselineWGANGP,
        kerasio_wgan_critic,
        kerasio_wgan_generator,
    )

    import keras_gans

    keras.config.set_dtype_policy(case["policy"])
    name, impl = case["model"], case["impl"]
    shape = (28, 28, 1)
    if name == "wgan-gp":
        g, d = kerasio_wgan_generator(128), kerasio_wgan_critic()
        if impl == "package":
            model = keras_gans.WGANGP(
                g, d, latent_dim=128, image_shape=shape, critic_steps=3, gp_weight=10.0, seed=0
            )
            model.compile(jit_compile=case["jit"], steps_per_execution=case["spe"])
            return model
        model = BaselineWGANGP(g, d, 128, critic_steps=3, gp_weight=10.0)
        opt = dict(learning_rate=1e-4, beta_1=0.0, beta_2=0.9)
    else:
        cls = {"gan": keras_gans.GAN, "dcgan": keras_gans.DCGAN, "infogan": keras_gans.InfoGAN}[
            name
        ]
        template = cls(image_shape=shape, seed=0)
        if impl == "package":
            template.compile(jit_compile=case["jit"], steps_per_execution=case["spe"])
            return template
        if name == "infogan":
            model = BaselineInfoGAN(
                template.generator,
                template.discriminator,
                template.latent_dim,
                sum(template.categorical_codes),
                template.continuous_codes,
                template.info_weight,
            )
        else:
            model = BaselineGAN(
                template.generator, template.discriminator, template.generator_input_dim
            )
        opt = dict(learning_rate=2e-4, beta_1=0.5)
    model.compile(keras.optimizers.Adam(**opt), keras.optimizers.Adam(**opt))
    model.jit_compile = case["jit"]
    return model


def run_case(case: dict) -> dict:
    """Train one configuration and measure it (runs inside the subprocess)."""
    import keras
    import numpy as np
    import tensorflow as tf

    model = _build(case)
    batch, steps, epochs = case["batch"], case["steps"], case["epochs"]
    x = np.random.default_rng(0).uniform(-1, 1, (batch * 4, 28, 28, 1)).astype("float32")
    ds = tf.data.Dataset.from_tensor_slices(x).batch(batch, drop_remainder=True).cache()
    ds = ds.repeat().prefetch(tf.data.AUTOTUNE)

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.ends = []

        def on_train_batch_end(self, batch_index, logs=None):
            self.ends.append(time.perf_counter())

        def on_epoch_end(self, epoch, logs=None):
            if epoch > 0:  # epoch 0 is the warm-up (tracing, autotuning)
                calls = len(self.ends)
                rates.append(batch * case["spe"] * (calls - 1) / (self.ends[-1] - self.ends[0]))

    rates: list[float] = []
    model.fit(ds, epochs=epochs + 1, steps_per_epoch=steps, callbacks=[Timer()], verbose=0)
    result = dict(case)
    result["images_per_s"] = float(np.median(rates))
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if case["impl"] == "package":
        flops = step_flops(case["model"], model, batch)
        result["gflop_per_step"] = flops / 1e9
        result["gflop_per_s"] = flops / 1e9 * result["images_per_s"] / batch
    return result


def run_pair(case: dict, rounds: int, round_seconds: float) -> dict:
    """Baseline and package in one process, alternating rounds (runs inside the subprocess).

    A round is as many steps as the baseline runs in about ``round_seconds``
    (at least 2), so that fast and slow models are timed over similar spans.
    """
    import numpy as np
    import tensorflow as tf

    batch = case["batch"]
    x = np.random.default_rng(0).uniform(-1, 1, (batch, 28, 28, 1)).astype("float32")
    batches = tf.data.Dataset.from_tensors(x).repeat()
    models = {impl: _build({**case, "impl": impl}) for impl in ("baseline", "package")}
    iterators = {impl: iter(batches) for impl in models}

    def run(impl: str, steps: int) -> float:
        """Seconds for ``steps`` train steps of one side, up to the last step's end."""
        start = time.perf_counter()
        for _ in range(steps):
            logs = models[impl].train_function(iterators[impl])
        float(next(iter(logs.values())))
        return time.perf_counter() - start

    for impl, model in models.items():
        model.make_train_function()
        run(impl, 3)  # tracing and oneDNN primitive creation
    steps = max(2, math.ceil(round_seconds / (run("baseline", 2) / 2)))
    rates: dict[str, list[float]] = {"baseline": [], "package": []}
    for r in range(rounds):
        for impl in ("baseline", "package") if r % 2 == 0 else ("package", "baseline"):
            rates[impl].append(batch * steps / run(impl, steps))
    ratios = [p / b for p, b in zip(rates["package"], rates["baseline"])]
    return {
        **case,
        "steps": steps,
        "rounds": rounds,
        "baseline_images_per_s": float(np.median(rates["baseline"])),
        "package_images_per_s": float(np.median(rates["package"])),
        "ratio": float(np.median(ratios)),
        "ratio_runs": sorted(ratios),
        "rates": rates,
    }


def _spawn(case: dict, *options: str, flag: str = "--case") -> dict:
    out = subprocess.run(
        [sys.executable, __file__, *options, flag, json.dumps(case)],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if out.returncode:
        raise RuntimeError(f"case {case} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def peak_fp32_gflops() -> float:
    """Nominal fp32 peak of this machine (all cores at the 2.3 GHz base clock)."""
    return (os.cpu_count() or 1) * 2.3 * PEAK_FP32_GFLOPS_PER_CORE_GHZ


def machine_info() -> dict:
    """The machine, library versions and the command line, recorded beside results."""
    import tensorflow as tf

    return {
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "peak_fp32_gflops": peak_fp32_gflops(),
        "command": " ".join(["python", f"benchmarks/{Path(sys.argv[0]).name}", *sys.argv[1:]]),
    }


def _paired(args: argparse.Namespace) -> None:
    models = args.models.split(",") if args.models else ["wgan-gp", "gan", "dcgan", "infogan"]
    results = []
    for model in models:
        for batch in [64] if args.quick else [64, 256]:
            case = {"policy": "float32", "jit": False, "spe": 1, "model": model, "batch": batch}
            options = ["--rounds", str(args.rounds), "--round-seconds", str(args.round_seconds)]
            try:
                r = _spawn(case, *options, flag="--pair-case")
            except (RuntimeError, subprocess.TimeoutExpired) as e:
                print(f"pair failed, skipped: {e}", flush=True)
                continue
            results.append(r)
            runs = ", ".join(f"{x:.2f}" for x in r["ratio_runs"])
            print(
                f"{model:8s} b={batch:<4d} baseline {r['baseline_images_per_s']:8.1f} img/s  "
                f"package {r['package_images_per_s']:8.1f} img/s  "
                f"ratio {r['ratio']:.2f}x (rounds {runs})",
                flush=True,
            )
    out_path = HERE / "results" / f"throughput-paired-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out_path.parent.mkdir(exist_ok=True)
    out_path.write_text(json.dumps({"machine": machine_info(), "results": results}, indent=2))
    print(f"wrote {out_path}")


def main() -> None:
    """Run the table of cases and write the results."""
    p = argparse.ArgumentParser()
    p.add_argument("--case", help=argparse.SUPPRESS)
    p.add_argument("--pair-case", help=argparse.SUPPRESS)
    p.add_argument(
        "--paired",
        action="store_true",
        help="ratios from both steps in one process, alternating rounds (see module doc)",
    )
    p.add_argument("--rounds", type=int, default=10, help="rounds per pair with --paired")
    p.add_argument(
        "--round-seconds", type=float, default=4.0, help="length of a round with --paired"
    )
    p.add_argument("--quick", action="store_true", help="WGAN-GP at batch 64 only")
    p.add_argument(
        "--models", default=None, help="comma-separated subset of the main table, no variants"
    )
    p.add_argument("--steps", type=int, default=6, help="steps per timed epoch")
    p.add_argument("--epochs", type=int, default=3, help="timed epochs (median is reported)")
    p.add_argument(
        "--repeats",
        type=int,
        default=1,
        help="run the whole list of cases this many times, interleaved; report the median",
    )
    args = p.parse_args()
    if args.case:
        print(json.dumps(run_case(json.loads(args.case))))
        return
    if args.pair_case:
        pair = run_pair(json.loads(args.pair_case), args.rounds, args.round_seconds)
        print(json.dumps(pair))
        return
    if args.paired:
        _paired(args)
        return

    base = {"policy": "float32", "jit": False, "spe": 1, "steps": args.steps, "epochs": args.epochs}
    cases = []
    models = ["wgan-gp"] if args.quick else ["wgan-gp", "gan", "dcgan", "infogan"]
    if args.models:
        models = args.models.split(",")
    for model in models:
        for batch in [64] if args.quick else [64, 256]:
            for impl in ("baseline", "package"):
                cases.append({**base, "model": model, "batch": batch, "impl": impl})
    # XLA is ~10x slower here: time it on fewer steps so the table finishes.
    variants = [
        {"jit": True, "steps": 3, "epochs": 2},
        {"policy": "mixed_bfloat16"},
        {"spe": 4, "steps": 8},
    ]
    for v in [] if args.models else variants:
        cases.append({**base, "model": "wgan-gp", "batch": 64, "impl": "package", **v})
        if "spe" not in v:
            cases.append({**base, "model": "wgan-gp", "batch": 64, "impl": "baseline", **v})

    runs: dict[str, list[dict]] = {}
    for repeat in range(args.repeats):
        for case in cases:
            try:
                r = _spawn(case)
            except (RuntimeError, subprocess.TimeoutExpired) as e:
                print(f"case failed, skipped: {e}", flush=True)
                continue
            runs.setdefault(json.dumps(case, sort_keys=True), []).append(r)
            print(
                f"[{repeat + 1}/{args.repeats}] {r['model']} {r['impl']} b={r['batch']}: "
                f"{r['images_per_s']:.1f} img/s",
                flush=True,
            )
    results = []
    for repeats in runs.values():
        r = dict(repeats[0])
        rates = sorted(x["images_per_s"] for x in repeats)
        r["images_per_s"] = float(statistics.median(rates))
        r["images_per_s_runs"] = rates
        r["peak_rss_mb"] = max(x["peak_rss_mb"] for x in repeats)
        if "gflop_per_step" in r:
            r["gflop_per_s"] = r["gflop_per_step"] * r["images_per_s"] / r["batch"]
        results.append(r)
        flops = f"{r['gflop_per_s']:.0f} GFLOP/s" if "gflop_per_s" in r else ""
        print(
            f"{r['model']:8s} b={r['batch']:<4d} {r['impl']:8s} {r['policy']:15s} "
            f"jit={r['jit']!s:5s} spe={r['spe']}  {r['images_per_s']:8.1f} img/s  "
            f"{r['peak_rss_mb']:7.0f} MB  {flops}",
            flush=True,
        )
    print("\nratios (package / baseline, same settings):")
    for r in results:
        if r["impl"] != "package":
            continue
        match = [
            b
            for b in results
            if b["impl"] == "baseline"
            and all(b[k] == r[k] for k in ("model", "batch", "policy", "jit"))
        ]
        if match and r["spe"] == 1:
            print(
                f"  {r['model']:8s} b={r['batch']:<4d} {r['policy']:15s} jit={r['jit']!s:5s} "
                f"{r['images_per_s'] / match[0]['images_per_s']:.2f}x"
            )
    machine = machine_info()
    out = HERE / "results" / f"throughput-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"machine": machine, "results": results}, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
