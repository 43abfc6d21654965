"""Early warning: the chance that an authority's next graded inspection has a bad outcome.

Cases are graded Ofsted inspections. Each case's features are built as at the day its
inspection started, from data published before that day (:mod:`cscwatch.models.features`).

Outcomes (``--outcome``) of the judgement chosen (``--judgement``, overall effectiveness
or help and protection):

``inadequate``
    the judgement is Inadequate;
``ri_or_worse``
    the judgement is Requires improvement or Inadequate (what improvement teams act on);
``declined``
    the judgement is worse than the same judgement at the authority's previous graded
    inspection (cases without a previous graded judgement in the archive have no outcome).

Candidate models (:mod:`cscwatch.models._risk_models`)
------------------------------------------------------
``transparent``
    a score whose indicators and signs are chosen on the training cases alone: each
    feature of a fixed pool (lead indicators, their gap to statistical neighbours,
    demand levels, the previous grade and its age) is ranked by how far its training
    ROC AUC lies from 0.5, must point the same way in the earlier and the later half of
    the training cases, and at most four enter (one per indicator, |AUC − 0.5| ≥ 0.05; the
    strongest alone if none is that strong).
    Score ``S_i = (1/|J_i|) Σ_{j∈J_i} s_j (x_ij − μ_j)/σ_j`` over the chosen features
    ``J_i`` the case has, with signs ``s_j = ±1`` and training mean and standard
    deviation ``μ_j, σ_j``; a one-variable logistic fit on the training cases maps it
    to a probability;
``logistic``
    L2-regularised logistic regression on median-imputed (with missing-value flags),
    standardised features; ``C`` (10⁻³ … 10, a decade apart) chosen by stratified inner
    3-fold CV (log loss) on the training cases: ``logit P = β₀ + Σ_j β_j z_j``,
    minimising log loss ``+ ‖β‖²/(2C)``;
``boosted``
    ``HistGradientBoostingClassifier`` (depth 3, 200 iterations, learning rate 0.05,
    fixed seed), missing values handled natively.

Baselines, never shipped: ``previous_judgement`` (the training rate of the outcome for
each previous overall grade, add-one smoothed; "none" is a category) and ``random``
(seeded uniform scores; the training base rate as probability).

Backtest (rolling origin) and nested selection
----------------------------------------------
For each origin year ``T`` the training set is every case whose report was *published*
before 1 January ``T`` (so its outcome was known), the test set every case whose
inspection *started* in ``T``. :func:`check_training_window` raises if a training case
was published, or started, on or after the origin. A fold is **dropped** when a source
of the lead and demand indicators (the CIN census, the workforce census, LAIT's section
47 series) has none of them for at least half of its test cases (the folds up to 2017
have no workforce data yet): the models would be scored on imputed values. The shipped
ranking (:mod:`cscwatch.models.risk_ranking`) applies the same rule to its own date: where
a source has no figure published in time for over half the current authorities (a date
past what the warehouse's figures support), it refuses rather than score every authority
on its previous judgement alone.

The shipped model is chosen by **nested** rolling-origin validation: for outer fold
``T``, each candidate's pooled ROC AUC is computed over the earlier kept folds' test
cases that were *published before* 1 January ``T`` (each predicted by a model trained
before its own origin); the best candidate (ties to the simplest) predicts fold ``T``,
as model ``selected``. The first kept fold has no earlier fold and is used only for
selection. The shipped ranking repeats this rule with every case published before the
date asked about, and records the choice and the AUCs it was made on.

Calibration
-----------
The base rate moves (23% of inspections Inadequate early in the single inspection
framework, 13% under ILACS), so every model's probability is shifted to the recent rate
(prior-shift, or intercept, correction): ``logit p' = logit p + logit π_recent −
logit π_train``, with ``π_train`` the training rate of the outcome and ``π_recent`` its
rate among training cases whose inspection started in the two years up to the latest
training inspection (all training cases if fewer than 20). The window ends at the data,
not at the date asked about, so a date long after the last inspection still shifts.
The ranking is unchanged; the level moves.
Calibration is reported as the reliability table (observed rate by bin of predicted
probability), Brier score ``mean (p − y)²``, calibration intercept ``a`` of
``logit P(y) = a + logit p`` (0 is calibrated in the large; below 0 over-predicts) and
slope ``b`` of ``logit P(y) = a + b logit p`` (below 1: predictions too extreme).

Intervals
---------
Metrics are computed on the pooled test predictions of the evaluated folds: ROC AUC
(Mann–Whitney), average precision, precision at 10 and 20 (per origin year, pooled),
Brier and the calibration intercept and slope. 95% intervals come from a seeded
bootstrap that resamples **authorities** (all of an authority's test inspections enter
or leave together), since an authority's inspections are not independent.

Small authorities
-----------------
Authorities with fewer than 5,000 children aged 0–17 (ONS mid-year estimate of the
latest year up to the date; the City of London and the Isles of Scilly) are left out
of training, testing and the ranking: their rates rest on a handful of children. The
ranking lists them separately.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from cscwatch.core.errors import InputError
from cscwatch.models import _metrics as M
from cscwatch.models._data import last_prior, load_judgements, load_population
from cscwatch.models._results import dump, load, opt, percentile_ci
from cscwatch.models._risk_models import CANDIDATES, MODELS, fit_model, prior_shift
from cscwatch.models.features import (
    DEMAND,
    LEAD,
    FeatureSet,
    build_features,
    publication_lag,
)

__all__ = [
    "AUC_TARGETS",
    "CANDIDATES",
    "DEFAULT_OUTCOME",
    "JUDGEMENTS",
    "MODELS",
    "OUTCOMES",
    "SMALL_CHILDREN",
    "Backtest",
    "BacktestResults",
    "FoldRow",
    "MetricRow",
    "ReliabilityRow",
    "RiskData",
    "best_validated",
    "check_training_window",
    "load_risk_data",
    "parse_judgement",
    "parse_outcome",
    "recent_window",
    "select_model",
    "small_authorities",
    "univariate_auc",
]

OUTCOMES = ("inadequate", "ri_or_worse", "declined")
#: The judgement asked about → its rank column in the cases.
JUDGEMENTS = {"overall": "overall_rank", "help_protection": "hp_rank"}
#: The issue's targets for out-of-time ROC AUC (no target was set for ``declined``).
AUC_TARGETS = {"inadequate": 0.67, "ri_or_worse": 0.75}
#: The outcome whose shipped model validates best (see docs/methods/risk.md, "Default").
DEFAULT_OUTCOME = "ri_or_worse"
#: Authorities with fewer children aged 0–17 than this are not ranked.
SMALL_CHILDREN = 5000
#: The indicators the models are built on. A fold is kept only if, for every source they
#: come from (grouped by their declared publication lag), at least one is present for at
#: least half of the fold's test cases.
REQUIRED: tuple[str, ...] = (*LEAD, *DEMAND)
_COVERAGE = 0.5
_RECENT_YEARS = 2
_PRED_COLS = ["inspection_id", "la_code", "origin_year", "y", "model", "score", "p", "p_raw"]


def parse_outcome(text: str | None) -> str:
    """``inadequate``, ``ri_or_worse`` or ``declined`` (default :data:`DEFAULT_OUTCOME`).

    Raises
    ------
    InputError
        For anything else.
    """
    value = text or DEFAULT_OUTCOME
    if value not in OUTCOMES:
        raise InputError(f"unknown outcome {value!r}; use one of {', '.join(OUTCOMES)}")
    return value


def parse_judgement(text: str | None) -> str:
    """``overall`` (default) or ``help_protection``; :class:`InputError` otherwise."""
    value = text or "overall"
    if value not in JUDGEMENTS:
        raise InputError(f"unknown judgement {value!r}; use overall or help_protection")
    return value


@dataclass(frozen=True)
class RiskData:
    """Cases (graded inspections), their features and outcome ranks."""

    cases: pd.DataFrame
    features: FeatureSet
    judgements: pd.DataFrame

    def outcome(self, outcome: str = DEFAULT_OUTCOME, judgement: str = "overall") -> pd.Series:
        """1 where the case had ``outcome`` on ``judgement``, 0 if not, NaN if undefined."""
        parse_outcome(outcome)
        rank = self.cases[JUDGEMENTS[parse_judgement(judgement)]]
        if outcome == "inadequate":
            hit = rank == 4
        elif outcome == "ri_or_worse":
            hit = rank >= 3
        else:
            prev = self.cases["prev_" + JUDGEMENTS[judgement]]
            hit = rank > prev
            rank = rank.where(prev.notna())
        return hit.astype(float).where(rank.notna())


def _previous_ranks(judgements: pd.DataFrame, cases: pd.DataFrame) -> pd.DataFrame:
    """Each case's previous graded ranks (overall, help and protection), published before
    its start."""
    ordered, pos = last_prior(judgements, cases)
    out = np.full((len(cases), 2), np.nan)
    has = pos >= 0
    # the latest help-and-protection grade up to each row, within its authority
    hp = ordered["hp_rank"].groupby(ordered["la_code"].to_numpy()).ffill().to_numpy(dtype=float)
    out[has, 0] = ordered["overall_rank"].to_numpy(dtype=float)[pos[has]]
    out[has, 1] = hp[pos[has]]
    return pd.DataFrame(out, index=cases.index, columns=["prev_overall_rank", "prev_hp_rank"])


def small_authorities(con: duckdb.DuckDBPyConnection, as_at: date) -> dict[str, float]:
    """Authorities with fewer than :data:`SMALL_CHILDREN` children aged 0–17, and how many.

    The population is the latest year up to ``as_at``'s year (the earliest held if
    none is that early).
    """
    pop = load_population(con).reset_index()
    upto = pop.loc[pop["year"] <= as_at.year]
    use = upto if not upto.empty else pop.loc[pop["year"] == pop["year"].min()]
    latest = use.sort_values("year").groupby("la_code")["population"].last()
    return {str(k): float(v) for k, v in latest.items() if v < SMALL_CHILDREN}


def load_risk_data(con: duckdb.DuckDBPyConnection, snapshot_dir: Path | None = None) -> RiskData:
    """Every graded inspection of an authority that is not small, with features as at its
    start date."""
    j = load_judgements(con, snapshot_dir)
    cases = j.assign(as_at=j["start_date"])
    small = {
        y: set(small_authorities(con, date(y, 12, 31))) for y in {d.year for d in cases["as_at"]}
    }
    keep = [la not in small[d.year] for la, d in zip(cases["la_code"], cases["as_at"], strict=True)]
    cases = cases.loc[keep].reset_index(drop=True)
    cases = cases.join(_previous_ranks(j, cases))
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


# ------------------------------------------------------------------------ folds


@dataclass(frozen=True)
class FoldRow:
    """One origin of the rolling backtest and what it was used for.

    ``role`` is ``evaluated`` (scored, with the model chosen from earlier folds),
    ``selection only`` (the first kept fold: nothing earlier to choose with) or
    ``dropped`` (``missing`` names the sources absent for over half its test cases).
    """

    origin_year: int
    n_train: int
    n_train_positive: int
    n_test: int
    n_test_positive: int
    role: str
    missing: tuple[str, ...]
    selected: str | None
    selection_auc: tuple[tuple[str, float | None], ...]
    rate_train: float
    rate_recent: float
    terms: tuple[tuple[str, int], ...]


def recent_window(cases: pd.DataFrame) -> tuple[date, date]:
    """The two years up to the latest inspection start among training ``cases``: the
    window whose outcome rate probabilities are shifted to. It ends at the data, not at
    the date asked about, so a date past the Ofsted record does not empty it."""
    until = max(cases["as_at"])
    return until - timedelta(days=round(365.25 * _RECENT_YEARS)), until


def _recent_rate(cases: pd.DataFrame, y: np.ndarray) -> float:
    """The outcome's rate among training cases started in :func:`recent_window` (all
    training cases if fewer than 20 are)."""
    since, _ = recent_window(cases)
    recent = (cases["as_at"] >= since).to_numpy()
    return float(y[recent].mean()) if recent.sum() >= 20 else float(y.mean())


def _missing_sources(x: pd.DataFrame) -> tuple[str, ...]:
    """Sources of :data:`REQUIRED` with no indicator present for half the cases ``x``."""
    cover = x[list(REQUIRED)].notna().mean()
    by_source: dict[str, bool] = {}
    for ind in REQUIRED:
        src = publication_lag(ind).source
        by_source[src] = by_source.get(src, False) or bool(cover[ind] >= _COVERAGE)
    return tuple(src for src, ok in by_source.items() if not ok)


def _ordinal(days: pd.Series) -> np.ndarray:
    return np.array([d.toordinal() for d in days], dtype=float)


def _run_folds(
    data: RiskData,
    y: np.ndarray,
    years: range,
    cutoff: date,
    models: tuple[str, ...],
    seed: int,
) -> tuple[list[FoldRow], pd.DataFrame]:
    """Every fold's test predictions by every model (test cases published before
    ``cutoff`` only), with the folds that were kept or dropped."""
    cases, x = data.cases, data.features.frame
    have = ~np.isnan(y)
    starts = np.array([d.year for d in cases["as_at"]])
    pub = cases["publication_date"]
    folds: list[FoldRow] = []
    frames: list[pd.DataFrame] = []
    for year in years:
        origin = date(year, 1, 1)
        tr = have & (pub < origin).to_numpy()
        te = have & (starts == year) & (pub < cutoff).to_numpy()
        ytr, yte = y[tr].astype(int), y[te].astype(int)
        if not te.any() or ytr.sum() < 5 or (1 - ytr).sum() < 5:
            continue
        check_training_window(cases.loc[tr], origin)
        rate, recent = float(ytr.mean()), _recent_rate(cases.loc[tr], ytr)
        missing = _missing_sources(x.loc[te])
        n = (int(tr.sum()), int(ytr.sum()), int(te.sum()), int(yte.sum()))
        if missing:
            folds.append(FoldRow(year, *n, "dropped", missing, None, (), rate, recent, ()))
            continue
        when = _ordinal(cases.loc[tr, "as_at"])
        terms: tuple[tuple[str, int], ...] = ()
        for name in models:
            fitted = fit_model(name, x.loc[tr], ytr, when, seed)
            terms = terms or fitted.terms
            score, p_raw = fitted.predict(x.loc[te])
            frames.append(
                pd.DataFrame(
                    {
                        "inspection_id": cases.loc[te, "inspection_id"].astype(int).to_numpy(),
                        "la_code": cases.loc[te, "la_code"].astype(str).to_numpy(),
                        "origin_year": year,
                        "y": yte,
                        "model": name,
                        "score": np.round(score, 8),
                        "p": np.round(prior_shift(p_raw, rate, recent), 8),
                        "p_raw": np.round(p_raw, 8),
                        "publication_date": pub[te].to_numpy(),
                    }
                )
            )
        folds.append(FoldRow(year, *n, "kept", (), None, (), rate, recent, terms))
    empty = pd.DataFrame(columns=[*_PRED_COLS, "publication_date"])
    return folds, (pd.concat(frames, ignore_index=True) if frames else empty)


def select_model(
    preds: pd.DataFrame, cutoff: date
) -> tuple[str | None, tuple[tuple[str, float | None], ...]]:
    """The candidate with the best pooled ROC AUC over predictions of cases published
    before ``cutoff``, and every candidate's AUC; ``None`` if there is too little to
    choose with (fewer than five cases of each outcome).

    ``preds`` are test predictions of earlier folds (columns as ``_run_folds`` gives);
    ties go to the simplest candidate (the order of :data:`CANDIDATES`).
    """
    sub = preds.loc[(preds["publication_date"] < cutoff) & preds["model"].isin(CANDIDATES)]
    aucs: list[tuple[str, float | None]] = []
    for name in CANDIDATES:
        d = sub.loc[sub["model"] == name]
        yy = d["y"].to_numpy(dtype=int)
        ok = yy.sum() >= 5 and (1 - yy).sum() >= 5
        aucs.append((name, opt(M.auc(yy, d["score"].to_numpy(dtype=float))) if ok else None))
    scored = [(a, -k, n) for k, (n, a) in enumerate(aucs) if a is not None]
    if not scored:
        return None, tuple(aucs)
    return max(scored)[2], tuple(aucs)


# ------------------------------------------------------------------------ results


@dataclass(frozen=True)
class MetricRow:
    """One model's pooled backtest metrics with 95% intervals (authority bootstrap)."""

    model: str
    n: int
    n_positive: int
    auc: float | None
    auc_lo: float | None
    auc_hi: float | None
    average_precision: float | None
    ap_lo: float | None
    ap_hi: float | None
    brier: float | None
    brier_lo: float | None
    brier_hi: float | None
    cal_intercept: float | None
    cal_intercept_lo: float | None
    cal_intercept_hi: float | None
    cal_slope: float | None
    cal_slope_lo: float | None
    cal_slope_hi: float | None
    brier_raw: float | None
    cal_intercept_raw: float | None
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
    """One bin of a model's reliability (calibration) table, recalibrated probabilities."""

    model: str
    bin_low: float
    bin_high: float
    n: int
    mean_predicted: float
    observed: float


@dataclass(frozen=True)
class BacktestResults:
    """Nested rolling-origin backtest of the early-warning models (read-only).

    ``shipped_model`` is the candidate the selection rule picks with every kept fold
    (what :class:`RiskModel` ranks by today); ``selection_auc`` the AUCs it was picked on.
    ``target_met`` is ``None`` where the issue set no target (``declined``).
    """

    outcome: str
    judgement: str
    seed: int
    n_boot: int
    n_clusters: int
    metrics: tuple[MetricRow, ...]
    reliability: tuple[ReliabilityRow, ...]
    folds: tuple[FoldRow, ...]
    shipped_model: str
    selection_auc: tuple[tuple[str, float | None], ...]
    target_auc: float | None
    target_met: bool | None
    predictions: tuple[tuple[int, str, int, int, str, float, float, float], ...] = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """The metrics table, one row per model."""
        return pd.DataFrame([dump(m) for m in self.metrics]).set_index("model")

    def predictions_frame(self) -> pd.DataFrame:
        """Pooled test predictions of the evaluated folds."""
        return pd.DataFrame(list(self.predictions), columns=_PRED_COLS)

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
    def evaluated(self) -> tuple[FoldRow, ...]:
        """The folds scored."""
        return tuple(f for f in self.folds if f.role == "evaluated")

    @property
    def summary(self) -> str:
        """A plain-text table of the metrics."""

        def ci(v: float | None, lo: float | None, hi: float | None) -> str:
            if v is None:
                return "n/a"
            return (
                f"{v:.3f} ({lo:.3f}–{hi:.3f})" if lo is not None and hi is not None else f"{v:.3f}"
            )

        m0 = self.metrics[0]
        lines = [
            f"Backtest, {self.outcome} on {self.judgement}: {len(self.evaluated)} origins, "
            f"{m0.n} test cases, {m0.n_positive} positive; shipped model {self.shipped_model}"
        ]
        for m in self.metrics:
            lines.append(
                f"{m.model:<20} AUC {ci(m.auc, m.auc_lo, m.auc_hi)}  "
                f"ΔAUC {ci(m.auc_minus_previous, m.dauc_lo, m.dauc_hi)}  "
                f"Brier {ci(m.brier, m.brier_lo, m.brier_hi)}  "
                f"cal. intercept {ci(m.cal_intercept, m.cal_intercept_lo, m.cal_intercept_hi)}  "
                f"slope {ci(m.cal_slope, m.cal_slope_lo, m.cal_slope_hi)}"
            )
        return "\n".join(lines)


class Backtest:
    """Nested rolling-origin backtest: ``Backtest(data, ...).fit()`` → :class:`BacktestResults`.

    Parameters
    ----------
    data : RiskData
    outcome : one of :data:`OUTCOMES`
    judgement : ``"overall"`` or ``"help_protection"``
    models : which of :data:`MODELS` to run (the candidates always run)
    seed : seeds the models, the random baseline and the bootstrap
    n_boot : bootstrap replicates for the intervals
    """

    def __init__(
        self,
        data: RiskData,
        *,
        outcome: str = DEFAULT_OUTCOME,
        judgement: str = "overall",
        models: tuple[str, ...] = MODELS,
        seed: int = 20260401,
        n_boot: int = 1000,
    ) -> None:
        self.outcome, self.judgement = parse_outcome(outcome), parse_judgement(judgement)
        self.data, self.seed, self.n_boot = data, seed, n_boot
        self.models = (*CANDIDATES, *(m for m in models if m not in CANDIDATES))
        if "previous_judgement" not in self.models:
            self.models = (*self.models, "previous_judgement")

    def fit(self) -> BacktestResults:
        """Run every fold, choose per fold from earlier folds, bootstrap the metrics."""
        # One thread: on a few hundred rows, OpenMP start-up costs more than it saves.
        with threadpool_limits(limits=1):
            return self._fit()

    def _fit(self) -> BacktestResults:
        y = self.data.outcome(self.outcome, self.judgement).to_numpy()
        starts = [d.year for d in self.data.cases["as_at"]]
        years = range(min(starts) + 1, max(starts) + 1)
        folds, preds = _run_folds(self.data, y, years, date.max, self.models, self.seed)
        rows, chosen = [], []
        for f in folds:
            if f.role == "dropped":
                rows.append(f)
                continue
            earlier = preds.loc[preds["origin_year"] < f.origin_year]
            pick, aucs = select_model(earlier, date(f.origin_year, 1, 1))
            role = "selection only" if pick is None else "evaluated"
            rows.append(_replace(f, role=role, selected=pick, selection_auc=aucs))
            if pick is not None:
                mine = preds.loc[(preds["origin_year"] == f.origin_year) & (preds["model"] == pick)]
                chosen.append(mine.assign(model="selected"))
        if not chosen:
            raise InputError(
                f"no fold can be evaluated for {self.outcome} on {self.judgement}: too few "
                "kept folds with both outcomes"
            )
        shipped, ship_aucs = select_model(preds, date.max)
        assert shipped is not None
        evaluated = {f.origin_year for f in rows if f.role == "evaluated"}
        test = pd.concat(
            [*chosen, preds.loc[preds["origin_year"].isin(evaluated)]], ignore_index=True
        )
        models = ("selected", *self.models)
        metrics, rel = _evaluate(test, models, self.n_boot, self.seed)
        sel = next(m for m in metrics if m.model == "selected")
        goal = AUC_TARGETS.get(self.outcome)
        met = None
        if goal is not None:
            met = bool(
                sel.auc is not None
                and sel.auc >= goal
                and sel.dauc_lo is not None
                and sel.dauc_lo > 0
            )
        return BacktestResults(
            outcome=self.outcome,
            judgement=self.judgement,
            seed=self.seed,
            n_boot=self.n_boot,
            n_clusters=int(test.loc[test["model"] == "selected", "la_code"].nunique()),
            metrics=metrics,
            reliability=rel,
            folds=tuple(rows),
            shipped_model=shipped,
            selection_auc=ship_aucs,
            target_auc=goal,
            target_met=met,
            predictions=tuple(
                (int(a), str(b), int(c), int(d), str(e), float(f), float(g), float(h))
                for a, b, c, d, e, f, g, h in test[_PRED_COLS].itertuples(index=False)
            ),
        )


def _replace(row: FoldRow, **changes: object) -> FoldRow:
    from dataclasses import replace

    return replace(row, **changes)  # type: ignore[arg-type]


_N_POINT = 7


def _point(y: np.ndarray, s: np.ndarray, p: np.ndarray, g: np.ndarray) -> np.ndarray:
    return np.array(
        [
            M.auc(y, s),
            M.average_precision(y, s),
            M.brier(y, p),
            *M.calibration(y, p),
            M.precision_at_k(y, s, g, 10),
            M.precision_at_k(y, s, g, 20),
        ]
    )


def _evaluate(
    preds: pd.DataFrame, models: tuple[str, ...], n_boot: int, seed: int
) -> tuple[tuple[MetricRow, ...], tuple[ReliabilityRow, ...]]:
    key = ["origin_year", "inspection_id"]
    wide = {
        m: preds.loc[preds["model"] == m].sort_values(key).reset_index(drop=True) for m in models
    }
    base = wide[models[0]]
    y, g = base["y"].to_numpy(dtype=int), base["origin_year"].to_numpy()
    for m in models:
        assert (wide[m]["inspection_id"].to_numpy() == base["inspection_id"].to_numpy()).all()
    reps = M.cluster_bootstrap(base["la_code"].to_numpy(), n_boot, np.random.default_rng(seed + 1))
    samples = {m: np.empty((n_boot, _N_POINT)) for m in models}
    for b, idx in enumerate(reps):
        for m in models:
            d = wide[m]
            samples[m][b] = _point(
                y[idx], d["score"].to_numpy()[idx], d["p"].to_numpy()[idx], g[idx]
            )
    ref = "previous_judgement"
    ref_auc = M.auc(y, wide[ref]["score"].to_numpy())
    out, rel = [], []
    for m in models:
        d = wide[m]
        pt = _point(y, d["score"].to_numpy(), d["p"].to_numpy(), g)
        cis = [percentile_ci(samples[m][:, k]) for k in range(_N_POINT)]
        dci = percentile_ci(samples[m][:, 0] - samples[ref][:, 0])
        raw = d["p_raw"].to_numpy()
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
                opt(M.brier(y, raw)),
                opt(M.calibration(y, raw)[0]),
                opt(pt[5]),
                *cis[5],
                opt(pt[6]),
                *cis[6],
                opt(pt[0] - ref_auc),
                *dci,
            )
        )
        for lo, hi, n, mp, ob in M.reliability(y, d["p"].to_numpy()):
            rel.append(ReliabilityRow(m, lo, hi, n, mp, ob))
    return tuple(out), tuple(rel)


def univariate_auc(
    data: RiskData, outcome: str = DEFAULT_OUTCOME, judgement: str = "overall"
) -> tuple[tuple[str, int, float], ...]:
    """Each feature's ROC AUC against the outcome over every case that has it.

    Descriptive and in-sample (no fitting, but also no backtest): which single
    features separate the outcome at all. The models never see these figures.
    """
    y = data.outcome(outcome, judgement).to_numpy()
    out = []
    for col in data.features.frame.columns:
        x = data.features.frame[col].to_numpy(dtype=float)
        m = ~np.isnan(x) & ~np.isnan(y)
        if m.sum() >= 20:
            out.append((str(col), int(m.sum()), M.auc(y[m].astype(int), x[m])))
    return tuple(out)


def best_validated(results: list[BacktestResults]) -> str:
    """The outcome whose selection procedure validates best on overall effectiveness:
    the highest lower 95% bound of its out-of-time ROC AUC (the rule behind
    :data:`DEFAULT_OUTCOME`)."""
    overall = [r for r in results if r.judgement == "overall"]
    if not overall:
        raise InputError("no backtest of overall effectiveness to choose the default outcome by")
    return max(overall, key=lambda r: r.metric("selected").auc_lo or 0.0).outcome
