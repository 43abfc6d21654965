"""Small helpers shared by the methods-page writers: number formats, Markdown tables,
figures."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

__all__ = ["_ci", "_docstring", "_f", "_fig", "_pct", "_save", "_table"]


def _f(x: float | None, d: int = 3) -> str:
    return "–" if x is None else f"{x:.{d}f}"


def _ci(v: float | None, lo: float | None, hi: float | None, d: int = 3) -> str:
    return f"{_f(v, d)} ({_f(lo, d)} to {_f(hi, d)})"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def _fig(path: Path) -> object:
    try:
        import matplotlib
    except ImportError as exc:  # an optional dependency: only the figures need it
        from cscwatch.core.errors import ConfigError

        raise ConfigError(
            f"writing {path.name} needs matplotlib, which draws the methods pages' figures "
            "and is not installed; install the docs extra: pip install 'cscwatch[docs]'"
        ) from exc

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    plt.rcParams.update({"font.size": 8, "svg.hashsalt": "cscwatch"})
    return plt


def _save(plt: object, fig: object, path: Path) -> None:
    fig.tight_layout()  # type: ignore[attr-defined]
    fig.savefig(path, dpi=90, metadata={"Software": None})  # type: ignore[attr-defined]
    plt.close(fig)  # type: ignore[attr-defined]


def _docstring(module: object) -> str:
    return (module.__doc__ or "").strip()


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x:.1%}"
