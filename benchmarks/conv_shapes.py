"""Speed of each convolution of the keras.io WGAN-GP critic, alone, against the CPU's peak.

    python benchmarks/conv_shapes.py [--batch 64] [--repeats 30]

The WGAN-GP train step spends most of its time in these convolutions (forward,
input gradient, filter gradient; see the README's "Performance" section).
This times each one as a single TensorFlow op (oneDNN on CPU) and reports
GFLOP/s two ways: nominal (every kernel tap, as profilers count) and useful
(taps that fall on the zero padding excluded). The last layer (4x4 input,
5x5 kernel, stride 2) is also timed as the equivalent dense matmul, which
shows how much of its time is the convolution kernel's, not the arithmetic's.
Results go to ``benchmarks/results/conv_shapes-<date>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from throughput import machine_info, peak_fp32_gflops  # noqa: E402

HERE = Path(__file__).resolve().parent

# (input size, input channels, output channels) of the critic's 5x5 stride-2 convs.
CRITIC_CONVS = [(32, 1, 64), (16, 64, 128), (8, 128, 256), (4, 256, 512)]
KERNEL, STRIDE = 5, 2


def _taps(size: int) -> tuple[int, int]:
    """Kernel taps per output row that land inside the input (useful), and all taps."""
    out = -(-size // STRIDE)
    pad_before = max((out - 1) * STRIDE + KERNEL - size, 0) // 2
    inside = 0
    for o in range(out):
        start = o * STRIDE - pad_before
        inside += sum(0 <= start + k < size for k in range(KERNEL))
    return inside, out * KERNEL


def _time(fn, repeats: int) -> float:
    fn().numpy()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn().numpy()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


STRIDES = [1, STRIDE, STRIDE, 1]


def _conv_ops(x: tf.Tensor, w: tf.Tensor, dy: tf.Tensor) -> dict:
    """The three convolutions a training step runs for one layer, as traced functions."""
    return {
        "forward": tf.function(lambda: tf.nn.conv2d(x, w, STRIDES, "SAME")),
        "input_grad": tf.function(
            lambda: tf.nn.conv2d_transpose(dy, w, list(x.shape), STRIDES, "SAME")
        ),
        "filter_grad": tf.function(
            lambda: tf.raw_ops.Conv2DBackpropFilter(
                input=x,
                filter_sizes=list(w.shape),
                out_backprop=dy,
                strides=STRIDES,
                padding="SAME",
            )
        ),
    }


def _as_dense(x: tf.Tensor, w: tf.Tensor) -> tuple:
    """The convolution as one matmul: row i of the matrix is the convolution of unit input i."""
    size, cin = x.shape[1], x.shape[3]
    eye = tf.reshape(tf.eye(size * size * cin), (-1, size, size, cin))
    matrix = tf.reshape(tf.nn.conv2d(eye, w, STRIDES, "SAME"), (size * size * cin, -1))
    flat = tf.reshape(x, (x.shape[0], -1))
    return tf.function(lambda: flat @ matrix)


def measure(batch: int, repeats: int) -> list[dict]:
    """Median milliseconds and GFLOP/s of every convolution direction of every critic layer."""
    rng = np.random.default_rng(0)
    rows = []
    for size, cin, cout in CRITIC_CONVS:
        out = -(-size // STRIDE)
        x = tf.constant(rng.normal(size=(batch, size, size, cin)), tf.float32)
        w = tf.constant(rng.normal(size=(KERNEL, KERNEL, cin, cout)) * 0.01, tf.float32)
        dy = tf.constant(rng.normal(size=(batch, out, out, cout)), tf.float32)
        ops = _conv_ops(x, w, dy)
        if size == 4:
            dense = _as_dense(x, w)
            diff = float(tf.reduce_max(tf.abs(tf.reshape(dense(), dy.shape) - ops["forward"]())))
            ops[f"forward as dense matmul (max abs diff {diff:.1e})"] = dense
        inside, total = _taps(size)
        nominal = 2.0 * batch * out * out * cout * cin * KERNEL * KERNEL
        useful = nominal * (inside / total) ** 2
        for name, fn in ops.items():
            seconds = _time(fn, repeats)
            rows.append(
                {
                    "layer": f"{size}x{size}x{cin}->{out}x{out}x{cout}",
                    "op": name,
                    "ms": seconds * 1e3,
                    "nominal_gflop_per_s": nominal / seconds / 1e9,
                    "useful_gflop_per_s": useful / seconds / 1e9,
                }
            )
    return rows


def main() -> None:
    """Print and save the table."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--repeats", type=int, default=30)
    args = p.parse_args()
    rows = measure(args.batch, args.repeats)
    print(f"batch {args.batch}, nominal fp32 peak {peak_fp32_gflops():.0f} GFLOP/s")
    for r in rows:
        print(
            f"{r['layer']:22s} {r['op']:44s} {r['ms']:7.2f} ms  "
            f"{r['nominal_gflop_per_s']:6.0f} nominal, "
            f"{r['useful_gflop_per_s']:6.0f} useful GFLOP/s"
        )
    out = HERE / "results" / f"conv_shapes-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"machine": machine_info(), "results": rows}, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
