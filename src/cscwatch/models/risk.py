"""Early warning: the chance that an authority's next graded inspection is Inadequate.

Cases are graded Ofsted inspections (overall effectiveness; optionally help and
protection). Each case's features are built as at the day its inspection started,
from data published before that day (:mod:`cscwatch.models.features`).

Models
------
``lead_score``
    the transparent score (mean polarity-signed z of the lead indicators, equal
    weights), mapped to a probability by a one-variable logistic fit on the training fold;
``logistic``
    L2-regularised logistic regression on median-imputed (with missing-value flags),
    standardised features; ``C`` chosen by 5-fold stratified inner CV (log loss) on the
    training fold only;
``boosted``
    ``HistGradientBoostingClassifier`` (depth 3, 200 iterations, learning rate 0.05,
    fixed seed), missing values handled natively;
baselines: ``previous_judgement`` (the training-fold inadequate rate for each previous
overall grade, add-one smoothed; "none" is a category) and ``random`` (seeded uniform
scores for ranking, the training base rate as probability).

Formulas
--------
Lead score of case ``i``: ``S_i = (1/|J_i|) Σ_{j∈J_i} s_j (x_ij − μ_jt)/σ_jt`` over the
lead indicators ``J_i`` it has, with ``μ_jt, σ_jt`` the mean and standard deviation
across authorities in the year ``t`` used and ``s_j = −1`` where high is good.
Logistic: ``logit P(Inadequate) = β₀ + Σ_j β_j z_j`` on standardised features ``z``,
minimising log loss ``+ ‖β‖² / (2C)``. Per-authority explanation: the terms
``β_j z_j``, largest first. Metrics on pooled test cases: ROC AUC (Mann–Whitney),
average precision ``Σ_k (R_k − R_{k−1}) P_k``, Brier ``mean (p − y)²``, reliability
= observed rate by bin of predicted probability.

Backtest (rolling origin)
-------------------------
For each origin year ``T``, the training set is every case whose report was *published*
before 1 January ``T`` (so its outcome was known), the test set every case whose
inspection *started* in ``T``. :func:`check_training_window` raises if a training case
was published, or started, on or after the origin. Test predictions of all folds are
pooled; 95% intervals come from a seeded bootstrap that resamples cases within folds.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from cscwatch.core.errors import InputError
from cscwatch.models import _metrics as M
from cscwatch.models._data import load_authorities, load_judgements
from cscwatch.models._results import dump, load, opt, percentile_ci
from cscwatch.models.features import FeatureSet, build_features

__all__ = [
    "MODELS",
    "TARGETS",
    "Backtest",
    "BacktestResults",
    "MetricRow",
    "ReliabilityRow",
    "RiskData",
    "RiskModel",
    "RiskRanking",
    "RiskRow",
    "check_training_window",
    "load_risk_data",
    "univariate_auc",
]

MODELS = ("lead_score", "logistic", "boosted", "previous_judgement", "random")
TARGETS = {"overall": "overall_rank", "help_protection": "hp_rank"}
_C_GRID = tuple(float(c) for c in np.logspace(-3, 1, 9))


@dataclass(frozen=True)
class RiskData:
    """Cases (graded inspections), their features and outcome ranks."""

    cases: pd.DataFrame
    features: FeatureSet
    judgements: pd.DataFrame

    def outcome(self, target: str) -> pd.Series:
        """1 where the target judgement was Inadequate, 0 otherwise, NaN if not graded."""
        rank = self.cases[TARGETS[target]]
        return (rank == 4).astype(float).where(rank.notna())


def load_risk_data(con: duckdb.DuckDBPyConnection, snapshot_dir: Path | None = None) -> RiskData:
    """Every graded inspection with features as at its start date."""
    j = load_judgements(con, snapshot_dir)
    cases = j.assign(as_at=j["start_date"]).reset_index(drop=True)
    return RiskData(cases=cases, features=build_features(con, cases, j), judgements=j)


def check_training_window(cases: pd.DataFrame, origin: date) -> None:
    """Refuse to train on the future.

    Raises
    ------
    InputError
        If any training case started, or was published, on or after ``origin``.
    """
    late = (cases["publication_date"] >= origin) | (cases["as_at"] >= origin)
    if bool(late.any()):
        raise InputError(
            f"{int(late.sum())} training case(s) were inspected or published on or after "
            f"the origin {origin.isoformat()}: refusing to train on the future"
        )


# ------------------------------------------------------------------------ the models


def _feature_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c != "lead_score"]


def _varying(frame: pd.DataFrame, cols: list[str]) -> list[str]:
    """Columns with at least two distinct observed values (the boosted model's binner
    cannot bin a column it has seen only one value of)."""
    return [c for c in cols if frame[c].nunique(dropna=True) >= 2]


def _logistic(seed: int, y: np.ndarray) -> GridSearchCV:
    pipe = Pipeline(
        [
            (
                "impute",
                SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
            ),
            ("scale", StandardScaler()),
            ("model", LogisticRegression(max_iter=5000)),
        ]
    )
    folds = max(2, min(5, int(y.sum()), int((1 - y).sum())))
    return GridSearchCV(
        pipe,
        {"model__C": list(_C_GRID)},
        cv=StratifiedKFold(folds, shuffle=True, random_state=seed),
        scoring="neg_log_loss",
    )


def _boosted(seed: int) -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(
        max_iter=200,
        learning_rate=0.05,
        max_depth=3,
        min_samples_leaf=10,
        l2_regularization=1.0,
        early_stopping=False,
        random_state=seed,
    )


def _fit(model: object, x: pd.DataFrame, y: np.ndarray) -> object:
    with warnings.catch_warnings():
        # lbfgs at the strongest C of the grid on a fold with flat columns may stop
        # at max_iter; the grid search scores such fits on held-out loss anyway.
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(x, y)  # type: ignore[attr-defined]
    return model


def _prev_table(train_prev: pd.Series, y: np.ndarray) -> dict[float, float]:
    cats = train_prev.fillna(0.0).to_numpy()
    return {
        c: (y[cats == c].sum() + y.mean()) / ((cats == c).sum() + 1.0)
        for c in (0.0, 1.0, 2.0, 3.0, 4.0)
    }


def _predict(
    name: str,
    xtr: pd.DataFrame,
    ytr: np.ndarray,
    xte: pd.DataFrame,
    seed: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """(ranking score, probability) for the test cases."""
    cols = _feature_columns(xtr)
    if name == "logistic":
        m = _fit(_logistic(seed, ytr), xtr[cols], ytr)
        p = m.predict_proba(xte[cols])[:, 1]  # type: ignore[attr-defined]
        return p, p
    if name == "boosted":
        cols = _varying(xtr, cols)
        m = _fit(_boosted(seed), xtr[cols], ytr)
        p = m.predict_proba(xte[cols])[:, 1]  # type: ignore[attr-defined]
        return p, p
    if name == "lead_score":
        s_tr = xtr[["lead_score"]].fillna(0.0)
        s_te = xte[["lead_score"]].fillna(0.0)
        m = _fit(LogisticRegression(), s_tr, ytr)
        return s_te.to_numpy()[:, 0], m.predict_proba(s_te)[:, 1]  # type: ignore[attr-defined]
    if name == "previous_judgement":
        table = _prev_table(xtr["prev_rank"], ytr)
        cats = xte["prev_rank"].fillna(0.0).to_numpy()
        p = np.array([table[c] for c in cats])
        return p, p
    if name == "random":
        return rng.uniform(size=len(xte)), np.full(len(xte), ytr.mean())
    raise InputError(f"unknown model {name!r}; use one of {', '.join(MODELS)}")


# ------------------------------------------------------------------------ results


@dataclass(frozen=True)
class MetricRow:
    """One model's pooled backtest metrics with bootstrap 95% intervals."""

    model: str
    n: int
    n_inadequate: int
    auc: float | None
    auc_lo: float | None
    auc_hi: float | None
    average_precision: float | None
    ap_lo: float | None
    ap_hi: float | None
    brier: float | None
    brier_lo: float | None
    brier_hi: float | None
    precision_at_10: float | None
    p10_lo: float | None
    p10_hi: float | None
    precision_at_20: float | None
    p20_lo: float | None
    p20_hi: float | None
    auc_minus_previous: float | None
    dauc_lo: float | None
    dauc_hi: float | None


@dataclass(frozen=True)
class ReliabilityRow:
    """One bin of a model's reliability (calibration) table."""

    model: str
    bin_low: float
    bin_high: float
    n: int
    mean_predicted: float
    observed: float


@dataclass(frozen=True)
class FoldRow:
    """One origin of the rolling backtest."""

    origin_year: int
    n_train: int
    n_train_inadequate: int
    n_test: int
    n_test_inadequate: int


@dataclass(frozen=True)
class BacktestResults:
    """Rolling-origin backtest of the early-warning models (read-only)."""

    target: str
    seed: int
    n_boot: int
    metrics: tuple[MetricRow, ...]
    reliability: tuple[ReliabilityRow, ...]
    folds: tuple[FoldRow, ...]
    predictions: tuple[tuple[int, str, int, int, str, float, float], ...] = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """The metrics table, one row per model."""
        return pd.DataFrame([dump(m) for m in self.metrics]).set_index("model")

    def predictions_frame(self) -> pd.DataFrame:
        """Pooled test predictions (inspection, authority, origin, outcome, model, score, p)."""
        cols = ["inspection_id", "la_code", "origin_year", "y", "model", "score", "p"]
        return pd.DataFrame(list(self.predictions), columns=cols)

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-able dict."""
        return dump(self)

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> BacktestResults:
        """Inverse of :meth:`to_dict`."""
        return load(cls, data)

    def metric(self, model: str) -> MetricRow:
        """The metrics row of ``model``."""
        return next(m for m in self.metrics if m.model == model)

    @property
    def summary(self) -> str:
        """A plain-text table of the metrics."""

        def ci(v: float | None, lo: float | None, hi: float | None) -> str:
            if v is None:
                return "n/a"
            return (
                f"{v:.3f} ({lo:.3f}–{hi:.3f})" if lo is not None and hi is not None else f"{v:.3f}"
            )

        lines = [
            f"Backtest, target {self.target}: {len(self.folds)} origins, "
            f"{self.metrics[0].n} test cases, {self.metrics[0].n_inadequate} inadequate"
        ]
        for m in self.metrics:
            lines.append(
                f"{m.model:<20} AUC {ci(m.auc, m.auc_lo, m.auc_hi)}  "
                f"AP {ci(m.average_precision, m.ap_lo, m.ap_hi)}  "
                f"Brier {ci(m.brier, m.brier_lo, m.brier_hi)}  "
                f"P@10 {ci(m.precision_at_10, m.p10_lo, m.p10_hi)}  "
                f"P@20 {ci(m.precision_at_20, m.p20_lo, m.p20_hi)}"
            )
        return "\n".join(lines)


class Backtest:
    """Rolling-origin backtest: ``Backtest(data, ...).fit()`` → :class:`BacktestResults`.

    Parameters
    ----------
    data : RiskData
    target : ``"overall"`` or ``"help_protection"``
    first_origin : first origin year (earlier inspections only ever train)
    models : which of :data:`MODELS` to run
    seed : seeds the models, the random baseline and the bootstrap
    n_boot : bootstrap replicates for the intervals
    """

    def __init__(
        self,
        data: RiskData,
        *,
        target: str = "overall",
        first_origin: int = 2017,
        models: tuple[str, ...] = MODELS,
        seed: int = 20260401,
        n_boot: int = 1000,
    ) -> None:
        if target not in TARGETS:
            raise InputError(f"unknown target {target!r}; use overall or help_protection")
        self.data, self.target, self.first_origin = data, target, first_origin
        self.models, self.seed, self.n_boot = models, seed, n_boot

    def fit(self) -> BacktestResults:
        """Run every fold, pool the test predictions, bootstrap the metrics."""
        # One thread: on a few hundred rows, OpenMP start-up costs more than it saves.
        with threadpool_limits(limits=1):
            return self._fit()

    def _fit(self) -> BacktestResults:
        y_all = self.data.outcome(self.target)
        keep = y_all.notna().to_numpy()
        cases = self.data.cases.loc[keep]
        x = self.data.features.frame.loc[keep]
        y = y_all.loc[keep].to_numpy().astype(int)
        starts = np.array([d.year for d in cases["as_at"]])
        rng = np.random.default_rng(self.seed)
        rows: list[tuple[int, str, int, int, str, float, float]] = []
        folds: list[FoldRow] = []
        for year in range(self.first_origin, int(starts.max()) + 1):
            origin = date(year, 1, 1)
            tr = (cases["publication_date"] < origin).to_numpy()
            te = starts == year
            if not te.any() or y[tr].sum() < 5:
                continue
            check_training_window(cases.loc[tr], origin)
            folds.append(
                FoldRow(year, int(tr.sum()), int(y[tr].sum()), int(te.sum()), int(y[te].sum()))
            )
            for name in self.models:
                score, p = _predict(name, x.loc[tr], y[tr], x.loc[te], self.seed, rng)
                for iid, la, yy, s, pp in zip(
                    cases.loc[te, "inspection_id"],
                    cases.loc[te, "la_code"],
                    y[te],
                    score,
                    p,
                    strict=True,
                ):
                    rows.append((int(iid), str(la), year, int(yy), name, float(s), float(pp)))
        if not folds:
            raise InputError("no origin has test cases and at least 5 inadequate training cases")
        preds = pd.DataFrame(
            rows, columns=["inspection_id", "la_code", "origin_year", "y", "model", "score", "p"]
        )
        metrics, rel = _evaluate(preds, self.models, self.n_boot, self.seed)
        return BacktestResults(
            target=self.target,
            seed=self.seed,
            n_boot=self.n_boot,
            metrics=metrics,
            reliability=rel,
            folds=tuple(folds),
            predictions=tuple(map(tuple, rows)),  # type: ignore[arg-type]
        )


def _point(y: np.ndarray, s: np.ndarray, p: np.ndarray, g: np.ndarray) -> np.ndarray:
    return np.array(
        [
            M.auc(y, s),
            M.average_precision(y, s),
            M.brier(y, p),
            M.precision_at_k(y, s, g, 10),
            M.precision_at_k(y, s, g, 20),
        ]
    )


def _evaluate(
    preds: pd.DataFrame, models: tuple[str, ...], n_boot: int, seed: int
) -> tuple[tuple[MetricRow, ...], tuple[ReliabilityRow, ...]]:
    wide = {m: preds.loc[preds["model"] == m].reset_index(drop=True) for m in models}
    base = wide[models[0]]
    y, g = base["y"].to_numpy(), base["origin_year"].to_numpy()
    rng = np.random.default_rng(seed + 1)
    groups = [np.flatnonzero(g == k) for k in np.unique(g)]
    samples = {m: np.empty((n_boot, 5)) for m in models}
    for b in range(n_boot):
        idx = np.concatenate([rng.choice(ix, size=ix.size, replace=True) for ix in groups])
        for m in models:
            d = wide[m]
            samples[m][b] = _point(
                y[idx], d["score"].to_numpy()[idx], d["p"].to_numpy()[idx], g[idx]
            )
    ref = "previous_judgement" if "previous_judgement" in models else None
    out, rel = [], []
    for m in models:
        d = wide[m]
        pt = _point(y, d["score"].to_numpy(), d["p"].to_numpy(), g)
        cis = [percentile_ci(samples[m][:, k]) for k in range(5)]
        if ref is not None:
            ref_pt = _point(y, wide[ref]["score"].to_numpy(), wide[ref]["p"].to_numpy(), g)[0]
            dci = percentile_ci(samples[m][:, 0] - samples[ref][:, 0])
            dauc = opt(pt[0] - ref_pt)
        else:
            dci, dauc = (None, None), None
        out.append(
            MetricRow(
                m,
                int(y.size),
                int(y.sum()),
                opt(pt[0]),
                *cis[0],
                opt(pt[1]),
                *cis[1],
                opt(pt[2]),
                *cis[2],
                opt(pt[3]),
                *cis[3],
                opt(pt[4]),
                *cis[4],
                dauc,
                *dci,
            )
        )
        for lo, hi, n, mp, ob in M.reliability(y, d["p"].to_numpy()):
            rel.append(ReliabilityRow(m, lo, hi, n, mp, ob))
    return tuple(out), tuple(rel)


def univariate_auc(data: RiskData, target: str = "overall") -> tuple[tuple[str, int, float], ...]:
    """Each feature's ROC AUC against the outcome over every case that has it.

    Descriptive and in-sample (no fitting, but also no backtest): which single
    features separate Inadequate from other outcomes at all.
    """
    y = data.outcome(target).to_numpy()
    out = []
    for col in data.features.frame.columns:
        x = data.features.frame[col].to_numpy(dtype=float)
        m = ~np.isnan(x) & ~np.isnan(y)
        if m.sum() >= 20:
            out.append((str(col), int(m.sum()), M.auc(y[m].astype(int), x[m])))
    return tuple(out)


# ------------------------------------------------------------------------ as-at ranking


@dataclass(frozen=True)
class RiskRow:
    """One authority's estimated risk as at a date."""

    rank: int
    la_code: str
    name: str
    probability: float
    boosted_probability: float | None
    lead_score: float | None
    drivers: tuple[tuple[str, float], ...]
    judgement_in_force: str | None
    judgement_published: date | None
    judgement_age_years: float | None


@dataclass(frozen=True)
class RiskRanking:
    """Every current authority ranked by the logistic model's probability (read-only)."""

    as_at: date
    target: str
    n_train: int
    n_train_inadequate: int
    chosen_c: float
    rows: tuple[RiskRow, ...]

    def to_frame(self) -> pd.DataFrame:
        """One row per authority."""
        return pd.DataFrame([dump(r) for r in self.rows])

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-able dict."""
        return dump(self)

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> RiskRanking:
        """Inverse of :meth:`to_dict`."""
        return load(cls, data)

    @property
    def summary(self) -> str:
        """The ten highest-risk authorities, as text."""
        head = [
            f"Risk as at {self.as_at} ({self.target}); trained on {self.n_train} "
            f"inspections ({self.n_train_inadequate} inadequate)"
        ]
        for r in self.rows[:10]:
            head.append(f"{r.rank:>3} {r.name:<35} {r.probability:.2f}")
        return "\n".join(head)


_GRADES = {1.0: "outstanding", 2.0: "good", 3.0: "requires_improvement", 4.0: "inadequate"}


class RiskModel:
    """``RiskModel(con, snapshot_dir).fit(as_at)``: train on inspections published
    before ``as_at``, score every current authority as at ``as_at``."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        snapshot_dir: Path | None = None,
        *,
        target: str = "overall",
        seed: int = 20260401,
    ) -> None:
        if target not in TARGETS:
            raise InputError(f"unknown target {target!r}; use overall or help_protection")
        self.con, self.snapshot_dir, self.target, self.seed = con, snapshot_dir, target, seed

    def fit(self, as_at: date) -> RiskRanking:
        """Fit and rank (see the class docstring)."""
        with threadpool_limits(limits=1):
            return self._fit(as_at)

    def _fit(self, as_at: date) -> RiskRanking:
        data = load_risk_data(self.con, self.snapshot_dir)
        y_all = data.outcome(self.target)
        tr = ((data.cases["publication_date"] < as_at) & y_all.notna()).to_numpy()
        ytr = y_all[tr].to_numpy().astype(int)
        if ytr.sum() < 5:
            raise InputError(f"fewer than 5 inadequate inspections published before {as_at}")
        check_training_window(data.cases.loc[tr], as_at)
        xtr = data.features.frame.loc[tr]
        cols = _feature_columns(xtr)
        logit = _fit(_logistic(self.seed, ytr), xtr[cols], ytr)
        bcols = _varying(xtr, cols)
        boost = _fit(_boosted(self.seed), xtr[bcols], ytr)
        auths = load_authorities(self.con)
        now = pd.DataFrame({"la_code": auths["la_code"], "as_at": as_at})
        fs = build_features(
            self.con, now, data.judgements.loc[data.judgements["publication_date"] < as_at]
        )
        xs = fs.frame[cols]
        best = logit.best_estimator_  # type: ignore[attr-defined]
        p = best.predict_proba(xs)[:, 1]
        pb = boost.predict_proba(fs.frame[bcols])[:, 1]  # type: ignore[attr-defined]
        z = best[:-1].transform(xs)
        names = list(best[:-1].get_feature_names_out(cols))
        contrib = z * best[-1].coef_[0]
        order = np.argsort(-p, kind="mergesort")
        in_force = _in_force(self.con, data.judgements, as_at)
        rows = []
        for rank, i in enumerate(order, start=1):
            top = np.argsort(-contrib[i], kind="mergesort")[:3]
            prev = fs.frame.iloc[i]
            grade, pub, age = in_force.get(str(auths["la_code"].iloc[i]), (None, None, None))
            rows.append(
                RiskRow(
                    rank=rank,
                    la_code=str(auths["la_code"].iloc[i]),
                    name=str(auths["name"].iloc[i]),
                    probability=float(p[i]),
                    boosted_probability=opt(pb[i]),
                    lead_score=opt(prev["lead_score"]),
                    drivers=tuple((_label(names[k]), float(contrib[i, k])) for k in top),
                    judgement_in_force=grade,
                    judgement_published=pub,
                    judgement_age_years=age,
                )
            )
        return RiskRanking(
            as_at=as_at,
            target=self.target,
            n_train=int(tr.sum()),
            n_train_inadequate=int(ytr.sum()),
            chosen_c=float(logit.best_params_["model__C"]),  # type: ignore[attr-defined]
            rows=tuple(rows),
        )


def _label(name: str) -> str:
    return (
        f"{name.removeprefix('missingindicator_')} missing"
        if name.startswith("missingindicator_")
        else name
    )


def _in_force(
    con: duckdb.DuckDBPyConnection, judgements: pd.DataFrame, as_at: date
) -> dict[str, tuple[str, date, float]]:
    """Overall judgement in force on ``as_at``: grade, publication date, age in years.

    Uses :func:`cscwatch.indicators.judgements.judgements_in_force` when the warehouse
    has the inspection tables, else the same rule on the snapshot file's judgements.
    """
    from cscwatch.store.inspections import has_inspection_tables, read_inspections

    if has_inspection_tables(con):
        from cscwatch.indicators.judgements import judgements_in_force

        return {
            j.la_code: (j.grade.value, j.publication_date, j.age_years)
            for j in judgements_in_force(read_inspections(con), as_at)
        }
    out = {}
    done = judgements.loc[judgements["publication_date"] <= as_at]
    for la, g in done.sort_values(["publication_date", "start_date"]).groupby("la_code"):
        last = g.iloc[-1]
        pub = last["publication_date"]
        out[str(la)] = (
            _GRADES[float(last["overall_rank"])],
            pub,
            round((as_at - pub).days / 365.25, 2),
        )
    return out
