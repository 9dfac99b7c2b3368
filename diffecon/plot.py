"""Matplotlib helpers shared by the replications and the notebooks."""

from __future__ import annotations

from pathlib import Path

import matplotlib

if matplotlib.get_backend().lower() not in ("agg", "module://matplotlib_inline.backend_inline"):
    matplotlib.use("Agg")  # replications run headless; notebooks keep their inline backend

import matplotlib.pyplot as plt  # noqa: E402

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
