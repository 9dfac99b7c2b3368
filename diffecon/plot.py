"""Matplotlib helpers shared by the replications and the notebooks."""

from __future__ import annotations

from pathlib import Path

# No backend is chosen here: matplotlib falls back to Agg without a display, notebooks keep their
# inline backend, and the `diffecon` command selects Agg itself.
import matplotlib.pyplot as plt

__all__ = ["figure", "save"]


def figure(ncols: int = 1, nrows: int = 1, *, width: float = 5.0, height: float = 3.6):
    """A figure with a grid of axes in the house style (returns `fig, axes`)."""
    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), squeeze=False)
    for ax in axes.ravel():
        ax.grid(alpha=0.3)
        ax.spines[["top", "right"]].set_visible(False)
    return fig, (axes[0, 0] if axes.size == 1 else axes.ravel())


def save(fig, path: str | Path) -> Path:
    """Save `fig` as PNG at `path` (folders created) and close it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path
