"""Curves of classifier score and FID against images seen, from ``--time-to-score`` results.

    python benchmarks/plot_time_to_score.py benchmarks/results/dcgan_seeds.json [...]

Writes ``<results>.png`` beside each JSON file: one panel for the classifier score (real
MNIST digits: 9.62 by the same judge), one for FID (the judge's features), a line per
configuration and seed (a colour per configuration); an epoch is 8,000 images.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on servers
import matplotlib.pyplot as plt  # noqa: E402

IMAGES_PER_EPOCH = 8000
REAL_SCORE = 9.62


def plot(results: Path) -> Path:
    """Draw ``results``' time-to-score rows; returns the PNG written."""
    rows = json.loads(results.read_text()).get("time_to_score", {})
    fig, (score_ax, fid_ax) = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)
    colours: dict[str, str] = {}
    labelled: set[str] = set()
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for key, row in rows.items():
        config = key.split(" | ")[0]
        colour = colours.setdefault(config, cycle[len(colours) % len(cycle)])
        images = [(i + 1) * IMAGES_PER_EPOCH / 1000 for i in range(len(row.get("scores", [])))]
        label = None if config in labelled else config
        labelled.add(config)
        score_ax.plot(images, row["scores"], color=colour, alpha=0.8, label=label, marker=".")
        if row.get("fids"):
            fid_ax.plot(images, row["fids"], color=colour, alpha=0.8, marker=".")
    score_ax.axhline(REAL_SCORE, color="grey", linestyle=":", label="real digits")
    score_ax.axhline(9.0, color="grey", linestyle="--", linewidth=0.8, label="target 9")
    score_ax.set(xlabel="images seen (thousands)", ylabel="classifier score", ylim=(0, 10))
    fid_ax.set(xlabel="images seen (thousands)", ylabel="FID (judge features)", yscale="log")
    score_ax.legend(fontsize=8, loc="lower right")
    score_ax.grid(alpha=0.3)
    fid_ax.grid(alpha=0.3)
    batches = sorted({str(row.get("batch_size", 64)) for row in rows.values()})
    title = f"MNIST 28x28, batch {'/'.join(batches)}: one line per seed ({results.name})"
    fig.suptitle(title, fontsize=10)
    out = results.with_suffix(".png")
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out


if __name__ == "__main__":
    for path in sys.argv[1:]:
        print(plot(Path(path)))
