"""Measure the figures behind the default outlier flag (docs/methods/benchmarking.md).

Reads a built warehouse (``CSCWATCH_WAREHOUSE`` or the default) and prints, as Markdown:

1. the skewness of authorities' values on the raw and the log scale, by kind of
   indicator, over every indicator and year with funnel limits (is the between-authority
   spread of rates symmetric on the log scale?);
2. the slope of log |deviation from England| on log denominator (a multiplicative
   overdispersion model predicts −0.5, an additive random-effects model 0);
3. for headline indicators in one year: authorities flagged higher and lower by the
   default limits, by the plain chance limits, and by the two models not chosen
   (additive on the raw scale and multiplicative, for rates).

Usage: ``python scripts/measure_flags.py [YEAR]`` (default 2025).
"""

from __future__ import annotations

import math
import sys
from collections import defaultdict

import numpy as np

from cscwatch.core.config import Settings
from cscwatch.indicators.variation import Z998, funnel
from cscwatch.store.warehouse import connect

HEADLINE = (
    "rereferrals_pct",
    "repeat_cpp_pct",
    "nfa_pct",
    "referrals_per_10k",
    "cin_at31_per_10k",
    "cpp_starts_per_10k",
    "cpp_at31_per_10k",
    "lac_at31_per_10k",
)


def _skew(x: np.ndarray) -> float:
    m, s = x.mean(), x.std()
    return float(((x - m) ** 3).mean() / s**3)


def _dl_tau2(dev: np.ndarray, var: np.ndarray) -> float:
    """DerSimonian–Laird τ² from winsorised z-scores (as the build does)."""
    z = dev / np.sqrt(var)
    k = len(z)
    zs = np.sort(z)
    lo, hi = zs[math.ceil(0.1 * k) - 1], zs[math.ceil(0.9 * k) - 1]
    phi = float(np.mean(np.clip(z, lo, hi) ** 2))
    w = 1 / var
    if k * phi <= k - 1:
        return 0.0
    return float((k * phi - (k - 1)) / (w.sum() - (w**2).sum() / w.sum()))


def _alternatives(kind: str, v: np.ndarray, n: np.ndarray, c: float) -> dict[str, tuple[int, int]]:
    """Higher/lower counts under the models not chosen."""
    out = {}
    if kind == "per_10k":
        var = c * 1e4 / n
        t2 = _dl_tau2(v - c, var)
        sd = np.sqrt(var + t2)
        out["additive, raw scale"] = (
            int((v > c + Z998 * sd).sum()),
            int((v < c - Z998 * sd).sum()),
        )
    else:
        var = (c / 100) * (1 - c / 100) / n * 1e4
    z = (v - c) / np.sqrt(var)
    k = len(z)
    zs = np.sort(z)
    lo, hi = zs[math.ceil(0.1 * k) - 1], zs[math.ceil(0.9 * k) - 1]
    phi = max(1.0, float(np.mean(np.clip(z, lo, hi) ** 2)))
    sd = np.sqrt(phi * var)
    out["multiplicative"] = (int((v > c + Z998 * sd).sum()), int((v < c - Z998 * sd).sum()))
    return out


def main(year: int) -> None:
    """Print the three tables for ``year``."""
    con = connect(Settings())
    rows = con.execute(
        "SELECT indicator, year, funnel_kind, value, denominator, funnel_centre FROM benchmark "
        "WHERE funnel_kind IS NOT NULL AND value > 0 AND NOT small AND denominator > 0 "
        "AND NOT provisional AND funnel_centre > 0"
    ).fetchall()
    groups: dict[tuple[str, int, str], list[tuple[float, float, float]]] = defaultdict(list)
    for ind, y, kind, v, n, c in rows:
        groups[(str(ind), int(y), str(kind))].append((float(v), float(n), float(c)))
    skew: dict[str, list[tuple[float, float]]] = defaultdict(list)
    slope: dict[str, list[float]] = defaultdict(list)
    for (_, _, kind), pts in groups.items():
        if len(pts) < 30:
            continue
        v = np.array([p[0] for p in pts])
        n = np.array([p[1] for p in pts])
        c = pts[0][2]
        skew[kind].append((_skew(v), _skew(np.log(v))))
        dev = np.abs(np.log(v / c)) if kind == "per_10k" else np.abs(v - c)
        keep = dev > 0
        slope[kind].append(float(np.polyfit(np.log(n[keep]), np.log(dev[keep]), 1)[0]))
    print("| kind | indicator-years | median skewness, raw | median skewness, log |")
    print("|---|---|---|---|")
    for kind, vals in sorted(skew.items()):
        a = np.array(vals)
        print(f"| {kind} | {len(a)} | {np.median(a[:, 0]):.2f} | {np.median(a[:, 1]):.2f} |")
    print()
    print("| kind | indicator-years | median slope | interquartile range |")
    print("|---|---|---|---|")
    for kind, vals in sorted(slope.items()):
        q1, med, q3 = np.percentile(vals, [25, 50, 75])
        print(f"| {kind} | {len(vals)} | {med:.2f} | {q1:.2f} to {q3:.2f} |")
    print()
    print(
        "| indicator | authorities | default: higher / lower | chance: higher / lower "
        "| additive, raw scale | multiplicative |"
    )
    print("|---|---|---|---|---|---|")
    for ind in HEADLINE:
        f = funnel(con, ind, year)
        if f is None:
            continue
        v = np.array([p.value for p in f.points])
        n = np.array([p.denominator for p in f.points])
        kind = "per_10k" if f.scale == "log" else "percent"
        alt = _alternatives(kind, v, n, f.centre)
        raw = alt.get("additive, raw scale")
        print(
            f"| `{ind}` | {len(f.points)} | {f.count('higher')} / {f.count('lower')} "
            f"| {f.count('higher', chance=True)} / {f.count('lower', chance=True)} "
            f"| {'(the default)' if raw is None else f'{raw[0]} / {raw[1]}'} "
            f"| {alt['multiplicative'][0]} / {alt['multiplicative'][1]} |"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2025)
