"""The early-warning candidate models and baselines, and the base-rate recalibration.

Each model is fitted on one training set by :func:`fit_model` and returns a
:class:`Fitted`: a ranking score, a probability and a per-case explanation for new
cases. Nothing here sees a test case before it is fitted; :mod:`cscwatch.models.risk`
decides which cases train and which test.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import get_scorer
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from cscwatch.core.errors import InputError
from cscwatch.models import _metrics as M
from cscwatch.models.features import DEMAND, LEAD

__all__ = [
    "BASELINES",
    "CANDIDATES",
    "MAX_TERMS",
    "MIN_STRENGTH",
    "MODELS",
    "TRANSPARENT_POOL",
    "Fitted",
    "fit_model",
    "prior_shift",
]

#: Models the nested validation chooses between, simplest first (ties go to the first).
CANDIDATES = ("transparent", "logistic", "boosted")
#: Reference rankings, never shipped.
BASELINES = ("previous_judgement", "random")
MODELS = (*CANDIDATES, *BASELINES)

#: Features the transparent score may choose from: the lead indicators (level and gap to
#: statistical neighbours), demand levels, and the previous grade and its age.
TRANSPARENT_POOL: tuple[str, ...] = (
    *LEAD,
    *(f"{i}_vs_sn" for i in LEAD),
    *DEMAND,
    "prev_rank",
    "prev_age_years",
)
#: At most this many indicators enter the transparent score.
MAX_TERMS = 4
#: A feature enters only if its training AUC is at least this far from 0.5.
MIN_STRENGTH = 0.05
_MIN_CASES = 40
# five penalties a decade apart and 3-fold inner CV: the ranking is refitted once per
# fold to choose the model, so a finer grid would cost seconds on every page's first fit
_C_GRID = tuple(float(c) for c in np.logspace(-3, 1, 5))


@dataclass(frozen=True)
class Fitted:
    """A model fitted on one training set.

    ``predict(x)`` → (ranking score, probability before recalibration);
    ``explain(x)`` → (term names, one row of contributions per case).
    """

    name: str
    predict: Callable[[pd.DataFrame], tuple[np.ndarray, np.ndarray]]
    explain: Callable[[pd.DataFrame], tuple[list[str], np.ndarray]]
    terms: tuple[tuple[str, int], ...] = ()  # transparent score: (feature, sign)
    chosen_c: float | None = None


def _columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c != "lead_score"]


def _fit(model: object, x: pd.DataFrame, y: np.ndarray) -> object:
    with warnings.catch_warnings():
        # lbfgs at the weakest penalty of the grid on a fold with flat columns may stop
        # at max_iter; the grid search scores such fits on held-out loss anyway.
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(x, y)  # type: ignore[attr-defined]
    return model


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, 1e-6, 1 - 1e-6)
    return np.asarray(np.log(q / (1 - q)))


def _expit(z: np.ndarray) -> np.ndarray:
    return np.asarray(1 / (1 + np.exp(-z)))


def prior_shift(p: np.ndarray, train_rate: float, recent_rate: float) -> np.ndarray:
    """Move probabilities from the training base rate to the recent one.

    ``logit p' = logit p + logit(recent_rate) − logit(train_rate)``: the intercept
    correction for a change in prevalence (Saerens, Latinne and Decaestecker 2002),
    which keeps the ranking and moves the level.
    """
    if not (0 < train_rate < 1 and 0 < recent_rate < 1):
        return p
    shift = _logit(np.array([recent_rate]))[0] - _logit(np.array([train_rate]))[0]
    return _expit(_logit(p) + shift)


# ---------------------------------------------------------------- transparent score


def _choose_terms(x: pd.DataFrame, y: np.ndarray, when: np.ndarray) -> list[tuple[str, int]]:
    """Indicators and signs of the transparent score, from the training cases alone.

    A feature is eligible with at least 40 training cases having it, five of each
    outcome. Its sign is the side of 0.5 its AUC falls on; it must fall on the same
    side in the earlier and the later half of the training cases (by date) where
    each half has both outcomes. The strongest (|AUC − 0.5| ≥ :data:`MIN_STRENGTH`)
    enter, at most :data:`MAX_TERMS`, one per indicator (level or gap to neighbours,
    whichever is stronger); if none is strong enough, the single strongest enters; if
    none is eligible, the score is flat (every case gets the training rate).
    """
    cut = np.median(when) if when.size else 0
    found = []
    for col in TRANSPARENT_POOL:
        if col not in x.columns:
            continue
        v = x[col].to_numpy(dtype=float)
        have = ~np.isnan(v)
        yy = y[have]
        if have.sum() < _MIN_CASES or yy.sum() < 5 or (1 - yy).sum() < 5:
            continue
        a = M.auc(yy, v[have])
        sign = 1 if a >= 0.5 else -1
        stable = True
        for half in (when[have] < cut, when[have] >= cut):
            yh = yy[half]
            if yh.sum() >= 3 and (1 - yh).sum() >= 3:
                ah = M.auc(yh, v[have][half])
                stable = stable and (ah - 0.5) * sign > 0
        if stable:
            found.append((abs(a - 0.5), col, sign))
    found.sort(key=lambda t: (-t[0], t[1]))
    out: list[tuple[str, int]] = []
    seen: set[str] = set()
    for strength, col, sign in found:
        base = col.removesuffix("_vs_sn")
        if base in seen or (out and strength < MIN_STRENGTH) or len(out) >= MAX_TERMS:
            continue
        seen.add(base)
        out.append((col, sign))
    return out


def _transparent(x: pd.DataFrame, y: np.ndarray, when: np.ndarray) -> Fitted:
    # with no eligible feature the score is flat: every case gets the training rate
    terms = _choose_terms(x, y, when)
    cols = [c for c, _ in terms]
    signs = np.array([s for _, s in terms], dtype=float)
    mu = x[cols].mean().to_numpy(dtype=float)
    sd = x[cols].std().replace(0.0, 1.0).to_numpy(dtype=float)

    def parts(frame: pd.DataFrame) -> np.ndarray:
        z = signs * (frame[cols].to_numpy(dtype=float) - mu) / sd
        k = np.maximum(np.sum(~np.isnan(z), axis=1), 1)
        return np.asarray(np.nan_to_num(z) / k[:, None])

    s_tr = parts(x).sum(axis=1)
    m = _fit(LogisticRegression(), pd.DataFrame({"s": s_tr}), y)

    def predict(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        s = parts(frame).sum(axis=1)
        return s, m.predict_proba(pd.DataFrame({"s": s}))[:, 1]  # type: ignore[attr-defined]

    return Fitted("transparent", predict, lambda f: (list(cols), parts(f)), terms=tuple(terms))


# ---------------------------------------------------------------- logistic, boosted


def _logistic_pipeline(c: float = 1.0) -> Pipeline:
    return Pipeline(
        [
            (
                "impute",
                SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
            ),
            ("scale", StandardScaler()),
            ("model", LogisticRegression(max_iter=5000, C=c)),
        ]
    )


def _choose_c(x: pd.DataFrame, y: np.ndarray, seed: int) -> float:
    """The penalty of :data:`_C_GRID` with the best mean held-out log loss over a
    stratified inner CV: ``GridSearchCV(pipeline, {"model__C": _C_GRID},
    scoring="neg_log_loss")``'s choice, made with the same splits, fits and scorer.

    The imputer and scaler do not depend on C, so each split fits them once and the
    five penalties share them (the grid search fitted them fifteen times, and its
    machinery cost a risk fit about as much as the fits).
    """
    folds = max(2, min(3, int(y.sum()), int((1 - y).sum())))
    cv = StratifiedKFold(folds, shuffle=True, random_state=seed)
    scorer = get_scorer("neg_log_loss")
    scores = np.empty((len(_C_GRID), folds))
    for k, (train, test) in enumerate(cv.split(x, y)):
        front = _logistic_pipeline()[:-1]
        xt_train = front.fit_transform(x.iloc[train], y[train])
        xt_test = front.transform(x.iloc[test])
        for j, c in enumerate(_C_GRID):
            model = LogisticRegression(max_iter=5000, C=c).fit(xt_train, y[train])
            scores[j, k] = scorer(model, xt_test, y[test])
    means = np.average(scores, axis=1)
    # as GridSearchCV ranks: failed (NaN) means tie with the worst, ties go to the first
    if np.isnan(means).all():
        return _C_GRID[0]
    means = np.nan_to_num(means, nan=np.nanmin(means) - 1)
    return _C_GRID[int(rankdata(-means, method="min").argmin())]


def _logistic(x: pd.DataFrame, y: np.ndarray, seed: int) -> Fitted:
    cols = _columns(x)
    with warnings.catch_warnings():
        # lbfgs at the weakest penalty of the grid on a fold with flat columns may stop
        # at max_iter; the choice scores such fits on held-out loss anyway.
        warnings.simplefilter("ignore", ConvergenceWarning)
        c = _choose_c(x[cols], y, seed)
    best = _fit(_logistic_pipeline(c), x[cols], y)
    assert isinstance(best, Pipeline)

    def predict(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        p = best.predict_proba(frame[cols])[:, 1]
        return p, p

    def explain(frame: pd.DataFrame) -> tuple[list[str], np.ndarray]:
        z = best[:-1].transform(frame[cols])
        return list(best[:-1].get_feature_names_out(cols)), z * best[-1].coef_[0]

    return Fitted("logistic", predict, explain, chosen_c=c)


def _boosted(x: pd.DataFrame, y: np.ndarray, seed: int) -> Fitted:
    # the binner cannot bin a column it has seen only one value of
    cols = [c for c in _columns(x) if x[c].nunique(dropna=True) >= 2]
    model = HistGradientBoostingClassifier(
        max_iter=200,
        learning_rate=0.05,
        max_depth=3,
        min_samples_leaf=10,
        l2_regularization=1.0,
        early_stopping=False,
        random_state=seed,
    )
    _fit(model, x[cols], y)
    median = x[cols].median()

    def predict(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        p = model.predict_proba(frame[cols])[:, 1]
        return p, p

    def explain(frame: pd.DataFrame) -> tuple[list[str], np.ndarray]:
        # each feature's term: log-odds now minus log-odds with it set to the training median
        base = _logit(model.predict_proba(frame[cols])[:, 1])
        out = np.empty((len(frame), len(cols)))
        for k, c in enumerate(cols):
            typical = frame[cols].copy()
            typical[c] = median[c]
            out[:, k] = base - _logit(model.predict_proba(typical)[:, 1])
        return list(cols), out

    return Fitted("boosted", predict, explain)


# ---------------------------------------------------------------- baselines


def _previous(x: pd.DataFrame, y: np.ndarray) -> Fitted:
    """The training rate of the outcome for each previous overall grade (add-one smoothed;
    "no previous graded judgement" is a category)."""
    cats = x["prev_rank"].fillna(0.0).to_numpy()
    table = {
        c: (y[cats == c].sum() + y.mean()) / ((cats == c).sum() + 1.0)
        for c in (0.0, 1.0, 2.0, 3.0, 4.0)
    }

    def predict(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        p = np.array([table[c] for c in frame["prev_rank"].fillna(0.0).to_numpy()])
        return p, p

    return Fitted("previous_judgement", predict, lambda f: (["prev_rank"], np.zeros((len(f), 1))))


def _random(y: np.ndarray, seed: int) -> Fitted:
    rate = float(y.mean())

    def predict(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng([seed, len(frame)])
        return rng.uniform(size=len(frame)), np.full(len(frame), rate)

    return Fitted("random", predict, lambda f: ([], np.zeros((len(f), 0))))


def fit_model(name: str, x: pd.DataFrame, y: np.ndarray, when: np.ndarray, seed: int) -> Fitted:
    """Fit model ``name`` of :data:`MODELS` on training features ``x`` and outcomes ``y``.

    Parameters
    ----------
    name : one of :data:`MODELS`
    x : training features, one row per case
    y : 0/1 outcomes
    when : each case's date as an ordinal (the transparent score's stability check)
    seed : seeds the logistic inner CV, the boosted model and the random baseline

    Raises
    ------
    InputError
        For an unknown model name.
    """
    if name == "transparent":
        return _transparent(x, y, when)
    if name == "logistic":
        return _logistic(x, y, seed)
    if name == "boosted":
        return _boosted(x, y, seed)
    if name == "previous_judgement":
        return _previous(x, y)
    if name == "random":
        return _random(y, seed)
    raise InputError(f"unknown model {name!r}; use one of {', '.join(MODELS)}")
