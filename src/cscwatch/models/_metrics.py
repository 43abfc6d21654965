"""Classification metrics written for speed inside bootstrap loops."""

from __future__ import annotations

import itertools

import numpy as np
from scipy.stats import rankdata


def auc(y: np.ndarray, s: np.ndarray) -> float:
    """ROC AUC by the rank-sum (Mann–Whitney) formula; ties count one half."""
    pos = y == 1
    n1, n0 = int(pos.sum()), int((~pos).sum())
    if n1 == 0 or n0 == 0:
        return float("nan")
    r = rankdata(s)
    return float((r[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def average_precision(y: np.ndarray, s: np.ndarray) -> float:
    """Average precision (step-wise area under precision–recall), as sklearn defines it."""
    n1 = int((y == 1).sum())
    if n1 == 0:
        return float("nan")
    order = np.argsort(-s, kind="mergesort")
    ys, ss = y[order], s[order]
    # thresholds at distinct scores: take the last index of each run of ties
    last = np.r_[np.flatnonzero(np.diff(ss) != 0), ys.size - 1]
    tp = np.cumsum(ys)[last]
    prec = tp / (last + 1)
    rec = tp / n1
    return float(np.sum(np.diff(np.r_[0.0, rec]) * prec))


def brier(y: np.ndarray, p: np.ndarray) -> float:
    """Mean squared error of probabilities."""
    return float(np.mean((p - y) ** 2))


def precision_at_k(y: np.ndarray, s: np.ndarray, groups: np.ndarray, k: int) -> float:
    """Share inadequate among the ``k`` highest-scored cases of each group, pooled."""
    hits = total = 0
    for g in np.unique(groups):
        m = groups == g
        order = np.argsort(-s[m], kind="mergesort")[:k]
        hits += int(y[m][order].sum())
        total += order.size
    return hits / total if total else float("nan")


#: Bin edges of the reliability table.
RELIABILITY_EDGES = (0.0, 0.1, 0.2, 0.3, 0.5, 1.0)


def reliability(y: np.ndarray, p: np.ndarray) -> list[tuple[float, float, int, float, float]]:
    """(bin low, bin high, n, mean predicted, observed rate) for each non-empty bin."""
    out = []
    edges = RELIABILITY_EDGES
    for lo, hi in itertools.pairwise(edges):
        m = (p >= lo) & ((p < hi) | (hi == 1.0))
        if m.any():
            out.append((lo, hi, int(m.sum()), float(p[m].mean()), float(y[m].mean())))
    return out


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, 1e-6, 1 - 1e-6)
    return np.asarray(np.log(q / (1 - q)))


def _newton(y: np.ndarray, x: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """Unpenalised logistic fit of ``y`` on columns ``x`` with an offset (Newton steps)."""
    beta = np.zeros(x.shape[1])
    for _ in range(50):
        eta = offset + x @ beta
        mu = 1 / (1 + np.exp(-eta))
        w = mu * (1 - mu)
        hess = x.T @ (x * w[:, None]) + 1e-9 * np.eye(x.shape[1])
        step = np.linalg.solve(hess, x.T @ (y - mu))
        beta = np.asarray(beta + step)
        if np.max(np.abs(step)) < 1e-8:
            break
    return beta


def calibration(y: np.ndarray, p: np.ndarray) -> tuple[float, float]:
    """(calibration intercept, calibration slope) of probabilities ``p``.

    Slope ``b`` from ``logit P(y) = a + b logit p``; intercept (calibration in the
    large) ``a`` from ``logit P(y) = a + logit p`` (slope fixed at 1). Perfect
    calibration is intercept 0, slope 1; an intercept below 0 means over-prediction.
    """
    n1 = int((y == 1).sum())
    if n1 == 0 or n1 == y.size:
        return float("nan"), float("nan")
    lp = _logit(p)
    intercept = _newton(y, np.ones((y.size, 1)), lp)[0]
    slope = _newton(y, np.column_stack([np.ones(y.size), lp]), np.zeros(y.size))[1]
    return float(intercept), float(slope)


def cluster_bootstrap(
    clusters: np.ndarray, n_boot: int, rng: np.random.Generator
) -> list[np.ndarray]:
    """Row indices of ``n_boot`` replicates that resample whole clusters with replacement.

    Every row of a drawn cluster enters the replicate as often as the cluster is drawn,
    so the rows of one authority never enter a replicate apart.
    """
    keys, inverse = np.unique(clusters, return_inverse=True)
    members = [np.flatnonzero(inverse == k) for k in range(keys.size)]
    out = []
    for _ in range(n_boot):
        drawn = rng.integers(0, keys.size, size=keys.size)
        out.append(np.concatenate([members[k] for k in drawn]))
    return out
