"""The shipped early-warning ranking: every current authority scored as at a date.

``RiskModel(con, snapshot_dir, outcome=..., judgement=...).fit(as_at)`` applies the
validated procedure of :mod:`cscwatch.models.risk` with what was published before
``as_at``: it runs the rolling-origin folds up to that date, chooses the candidate
model with the best pooled out-of-time ROC AUC (the nested rule), refits it on every
inspection published before the date, shifts its probabilities to the recent base rate
and ranks the current authorities, small ones listed apart. The result records the
choice, the base rates, and the as-at date of every source used.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from cscwatch.core.catalogue import CATALOGUE
from cscwatch.core.errors import InputError
from cscwatch.models._data import alignment_offset, load_authorities, load_panel
from cscwatch.models._results import cached_json, dump, load
from cscwatch.models._risk_models import CANDIDATES, fit_model, prior_shift
from cscwatch.models.features import build_features, publication_lag, published_on
from cscwatch.models.risk import (
    _COVERAGE,
    DEFAULT_OUTCOME,
    REQUIRED,
    SMALL_CHILDREN,
    _missing_sources,
    _ordinal,
    _recent_rate,
    _run_folds,
    check_training_window,
    load_risk_data,
    parse_judgement,
    parse_outcome,
    recent_window,
    select_model,
    small_authorities,
)

__all__ = [
    "ExcludedAuthority",
    "RiskModel",
    "RiskRanking",
    "RiskRow",
    "SourceDate",
    "cached_ranking",
    "latest_rankable_date",
]


@dataclass(frozen=True)
class RiskRow:
    """One authority's estimated risk as at a date.

    ``drivers`` are the three largest terms of its score in the shipped model
    (transparent: signed z over the number of terms; logistic: coefficient × z;
    boosted: log-odds minus log-odds with that feature at its training median).
    """

    rank: int
    la_code: str
    name: str
    probability: float
    score: float
    drivers: tuple[tuple[str, float], ...]
    judgement_in_force: str | None
    judgement_published: date | None
    judgement_age_years: float | None


@dataclass(frozen=True)
class ExcludedAuthority:
    """A current authority left out of the ranking, and why."""

    la_code: str
    name: str
    children: float
    reason: str


@dataclass(frozen=True)
class SourceDate:
    """The data an indicator contributed to the ranking: the latest year used (the
    publisher's year as stored), the date it is taken to have been published, and
    how many authorities fell back to an older year."""

    indicator: str
    title: str
    year: int
    period_label: str
    published_on: date
    n_authorities: int
    n_older_year: int


@dataclass(frozen=True)
class RiskRanking:
    """Every current authority that is not small, ranked by the shipped model (read-only).

    ``rate_train`` is the outcome's rate among the training inspections,
    ``rate_recent`` among those started from ``recent_since`` to ``recent_until`` (the
    two years up to the latest training inspection); probabilities are shifted from the
    first to the second. ``ofsted_record_to`` is the latest
    publication date of a graded inspection used (none after ``as_at`` is).
    """

    as_at: date
    outcome: str
    judgement: str
    model: str
    selection_auc: tuple[tuple[str, float | None], ...]
    n_selection_folds: int
    terms: tuple[tuple[str, int], ...]
    chosen_c: float | None
    n_train: int
    n_train_positive: int
    rate_train: float
    rate_recent: float
    recent_since: date
    recent_until: date
    ofsted_record_to: date
    sources: tuple[SourceDate, ...]
    excluded: tuple[ExcludedAuthority, ...]
    rows: tuple[RiskRow, ...]

    def to_frame(self) -> pd.DataFrame:
        """One row per ranked authority."""
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
            f"Risk of {self.outcome} ({self.judgement}) as at {self.as_at} by {self.model}; "
            f"trained on {self.n_train} inspections ({self.n_train_positive} positive)"
        ]
        for r in self.rows[:10]:
            head.append(f"{r.rank:>3} {r.name:<35} {r.probability:.2f}")
        return "\n".join(head)


_GRADES = {1.0: "outstanding", 2.0: "good", 3.0: "requires_improvement", 4.0: "inadequate"}


class RiskModel:
    """``RiskModel(con, snapshot_dir, outcome=, judgement=).fit(as_at)`` → :class:`RiskRanking`.

    Parameters
    ----------
    con : read-only connection to the warehouse
    snapshot_dir : where ``ofsted_judgements.csv`` is, if the warehouse has no
        inspection tables
    outcome : one of :data:`~cscwatch.models.risk.OUTCOMES`
    judgement : ``"overall"`` or ``"help_protection"``
    seed : seeds the models
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        snapshot_dir: Path | None = None,
        *,
        outcome: str = DEFAULT_OUTCOME,
        judgement: str = "overall",
        seed: int = 20260401,
    ) -> None:
        self.outcome, self.judgement = parse_outcome(outcome), parse_judgement(judgement)
        self.con, self.snapshot_dir, self.seed = con, snapshot_dir, seed

    def fit(self, as_at: date) -> RiskRanking:
        """Choose, fit and rank (see the module docstring).

        Raises
        ------
        InputError
            When fewer than five inspections of each outcome were published before
            ``as_at``, or when the warehouse's figures are too old for ``as_at``: a
            source the model requires has no figure published in time for over half
            the authorities (the backtest drops such a fold; the ranking is refused
            for the same reason rather than scored on the previous judgement alone).
        """
        with threadpool_limits(limits=1):
            return self._fit(as_at)

    def _fit(self, as_at: date) -> RiskRanking:
        data = load_risk_data(self.con, self.snapshot_dir)
        y = data.outcome(self.outcome, self.judgement).to_numpy()
        cases = data.cases
        tr = ~np.isnan(y) & (cases["publication_date"] < as_at).to_numpy()
        ytr = y[tr].astype(int)
        if ytr.sum() < 5 or (1 - ytr).sum() < 5:
            raise InputError(
                f"fewer than 5 inspections with and 5 without the outcome {self.outcome} "
                f"were published before {as_at}"
            )
        check_training_window(cases.loc[tr], as_at)
        # what the authorities are scored on, checked before the seconds of fitting
        auths, small, ranked = _ranked_authorities(self.con, as_at)
        now = pd.DataFrame({"la_code": ranked["la_code"], "as_at": as_at})
        before = data.judgements.loc[data.judgements["publication_date"] < as_at]
        fs = build_features(self.con, now, before)
        missing = _missing_sources(fs.frame)
        if missing:
            raise InputError(
                f"no ranking as at {as_at}: for over half the authorities this warehouse "
                f"has no figures published in time from {'; '.join(missing)}. The "
                "backtest scores no date like that, and a score would rest on the previous "
                "Ofsted judgement alone. Choose an earlier date, or fetch newer statistics "
                "(cscwatch fetch) and build"
            )
        starts = [d.year for d in cases["as_at"]]
        years = range(min(starts) + 1, as_at.year + 1)
        _, preds = _run_folds(data, y, years, as_at, CANDIDATES, self.seed)
        pick, aucs = select_model(preds, as_at)
        model = pick or CANDIDATES[0]
        x = data.features.frame
        fitted = fit_model(model, x.loc[tr], ytr, _ordinal(cases.loc[tr, "as_at"]), self.seed)
        rate, recent = float(ytr.mean()), _recent_rate(cases.loc[tr], ytr)
        since, until = recent_window(cases.loc[tr])

        score, p_raw = fitted.predict(fs.frame)
        p = prior_shift(p_raw, rate, recent)
        names, contrib = fitted.explain(fs.frame)
        order = np.lexsort((ranked["la_code"].to_numpy(), -p))
        in_force = _in_force(self.con, data.judgements, as_at, self.judgement)
        rows = []
        for rank, i in enumerate(order, start=1):
            top = np.argsort(-contrib[i], kind="mergesort")[:3]
            la = str(ranked["la_code"].iloc[i])
            grade, pub, age = in_force.get(la, (None, None, None))
            rows.append(
                RiskRow(
                    rank=rank,
                    la_code=la,
                    name=str(ranked["name"].iloc[i]),
                    probability=float(p[i]),
                    score=float(score[i]),
                    drivers=tuple((_label(names[k]), float(contrib[i, k])) for k in top),
                    judgement_in_force=grade,
                    judgement_published=pub,
                    judgement_age_years=age,
                )
            )
        named = auths.set_index("la_code")["name"]
        return RiskRanking(
            as_at=as_at,
            outcome=self.outcome,
            judgement=self.judgement,
            model=model,
            selection_auc=aucs,
            n_selection_folds=int(preds["origin_year"].nunique()) if len(preds) else 0,
            terms=fitted.terms,
            chosen_c=fitted.chosen_c,
            n_train=int(tr.sum()),
            n_train_positive=int(ytr.sum()),
            rate_train=rate,
            rate_recent=recent,
            recent_since=since,
            recent_until=until,
            ofsted_record_to=max(before["publication_date"]),
            sources=_sources(fs, len(ranked)),
            excluded=tuple(
                ExcludedAuthority(
                    la,
                    str(named.get(la, la)),
                    n,
                    f"fewer than {SMALL_CHILDREN:,} children aged 0–17 ({n:,.0f})",
                )
                for la, n in sorted(small.items())
                if la in named.index
            ),
            rows=tuple(rows),
        )


def _ranked_authorities(
    con: duckdb.DuckDBPyConnection, as_at: date
) -> tuple[pd.DataFrame, dict[str, float], pd.DataFrame]:
    """Every current authority, the small ones as at ``as_at`` (listed apart), and the
    rest: those a ranking scores."""
    auths = load_authorities(con)
    small = small_authorities(con, as_at)
    ranked = auths.loc[~auths["la_code"].isin(list(small))].reset_index(drop=True)
    return auths, small, ranked


def latest_rankable_date(con: duckdb.DuckDBPyConnection) -> date | None:
    """The last date this warehouse's figures support a ranking at: on any later date a
    source the model requires has no figure published in time for over half the
    authorities, and :meth:`RiskModel.fit` refuses. None if no date is found.

    Per required indicator: the latest year ``T`` whose figure, or the year before's
    (the features fall back one year), exists for half the current authorities; the
    features ask for year ``T + 1`` once it is due to be published, so the indicator
    serves every date up to that publication date. A source serves while any of its
    indicators does, and the ranking needs every source. The date found is checked by
    building the features at it, as a ranking would.
    """
    auths = load_authorities(con)
    panel = load_panel(con, REQUIRED)
    las = auths["la_code"].to_numpy(dtype=object)
    by_source: dict[str, date] = {}
    for ind in REQUIRED:
        have = panel[ind].dropna()
        years = sorted({int(y) for y in have.index.get_level_values("year")})
        if not years:
            continue
        held = {y: set(have.xs(y, level="year").index) for y in years}
        served = [
            y
            for y in range(years[0], years[-1] + 2)
            if np.mean([la in held.get(y, ()) or la in held.get(y - 1, ()) for la in las])
            >= _COVERAGE
        ]
        if not served:
            continue
        off = alignment_offset(ind)
        last = published_on(ind, max(served) + 1 - off)
        src = publication_lag(ind).source
        by_source[src] = max(by_source.get(src, last), last)
    sources = {publication_lag(ind).source for ind in REQUIRED}
    if set(by_source) != sources:
        return None
    found = min(by_source.values())
    ranked = _ranked_authorities(con, found)[2]
    now = pd.DataFrame({"la_code": ranked["la_code"], "as_at": found})
    if _missing_sources(build_features(con, now, None).frame):
        return None
    return found


#: Bump when the ranking or its results change shape: old cache files are then ignored.
_CACHE_VERSION = "1"


def cached_ranking(
    con: duckdb.DuckDBPyConnection,
    snapshot_dir: Path | None,
    as_at: date,
    *,
    outcome: str = DEFAULT_OUTCOME,
    judgement: str = "overall",
    cache_dir: Path | None = None,
    warehouse: Path | None = None,
) -> RiskRanking:
    """:meth:`RiskModel.fit`, read from ``cache_dir`` when this warehouse file (path,
    size, modification time) was ranked before with the same date, outcome, judgement,
    snapshot file of judgements and code of :mod:`cscwatch`; else fitted and
    stored. A fit costs seconds (every rolling-origin fold of every candidate), and
    ``cscwatch risk`` and each server start over the same file fitted it again.

    Without ``cache_dir`` and ``warehouse`` it simply fits. A cache that cannot be
    read or written is ignored: the ranking is then fitted.

    Raises
    ------
    InputError
        As :meth:`RiskModel.fit`, and for an unknown outcome or judgement.
    """
    model = RiskModel(con, snapshot_dir, outcome=outcome, judgement=judgement)
    if cache_dir is None or warehouse is None or not warehouse.exists():
        return model.fit(as_at)
    st = warehouse.stat()
    parts = [_CACHE_VERSION, str(warehouse.resolve()), str(st.st_size), str(st.st_mtime_ns)]
    parts += [as_at.isoformat(), model.outcome, model.judgement, str(model.seed)]
    judged = None if snapshot_dir is None else snapshot_dir / "ofsted_judgements.csv"
    if judged is not None and judged.is_file():  # read when the file has no inspections
        parts += [str(judged.resolve()), str(judged.stat().st_mtime_ns)]
    code = hashlib.sha256()  # of the package's code: a changed model is fitted again
    for path in sorted(Path(__file__).parents[1].rglob("*.py")):
        code.update(path.read_bytes())
    parts.append(code.hexdigest())
    key = hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]
    path = cache_dir / "risk" / f"{model.outcome}-{model.judgement}-{as_at}-{key}.json"
    return cached_json(path, RiskRanking.from_dict, lambda: model.fit(as_at))


def _sources(fs: object, n: int) -> tuple[SourceDate, ...]:
    """Per indicator: the latest year used, its publication date, and fallbacks."""
    prov: pd.DataFrame = fs.provenance  # type: ignore[attr-defined]
    out = []
    for ind, g in prov.groupby("indicator", sort=True):
        latest = int(g["year"].max())
        out.append(
            SourceDate(
                indicator=str(ind),
                title=CATALOGUE[str(ind)].title,
                year=latest,
                period_label=CATALOGUE[str(ind)].year_label(latest),
                published_on=published_on(str(ind), latest),
                n_authorities=int((g["year"] == latest).sum()),
                n_older_year=int((g["year"] < latest).sum()),
            )
        )
    return tuple(out)


def _label(name: str) -> str:
    return (
        f"{name.removeprefix('missingindicator_')} missing"
        if name.startswith("missingindicator_")
        else name
    )


_CODES = {"overall": "overall_effectiveness", "help_protection": "help_protection"}


def _in_force(
    con: duckdb.DuckDBPyConnection, judgements: pd.DataFrame, as_at: date, judgement: str
) -> dict[str, tuple[str, date, float]]:
    """The judgement in force on ``as_at``: grade, publication date, age in years.

    Uses :func:`cscwatch.indicators.judgements.judgements_in_force` when the warehouse
    has the inspection tables, else the same rule on the snapshot file's judgements.
    """
    from cscwatch.store.inspections import has_inspection_tables, read_inspections

    if has_inspection_tables(con):
        from cscwatch.indicators.judgements import judgements_in_force
        from cscwatch.ingest.ofsted_text import JudgementCode

        return {
            j.la_code: (j.grade.value, j.publication_date, j.age_years)
            for j in judgements_in_force(
                read_inspections(con), as_at, judgement=JudgementCode(_CODES[judgement])
            )
        }
    col = "overall_rank" if judgement == "overall" else "hp_rank"
    out = {}
    done = judgements.loc[(judgements["publication_date"] <= as_at) & judgements[col].notna()]
    for la, g in done.sort_values(["publication_date", "start_date"]).groupby("la_code"):
        last = g.iloc[-1]
        pub = last["publication_date"]
        out[str(la)] = (_GRADES[float(last[col])], pub, round((as_at - pub).days / 365.25, 2))
    return out
