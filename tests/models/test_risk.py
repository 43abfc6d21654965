"""Early warning: no feature uses unpublished data; the backtest never trains on the
future for any outcome; nested selection never sees the fold it chooses for; the
bootstrap resamples authorities; small authorities are listed, not ranked; the
recalibration moves probabilities to the recent base rate; results round-trip."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import cast

import duckdb
import numpy as np
import pandas as pd
import pytest

from cscwatch.core.config import Settings
from cscwatch.core.errors import InputError
from cscwatch.indicators.authorities import SMALL_AUTHORITIES
from cscwatch.models import _metrics as M
from cscwatch.models import risk as risk_mod
from cscwatch.models._risk_models import _choose_terms, prior_shift
from cscwatch.models.features import (
    PUBLICATION_LAGS,
    build_features,
    latest_published_year,
    published_on,
)
from cscwatch.models.risk import (
    Backtest,
    BacktestResults,
    RiskData,
    check_training_window,
    select_model,
)
from cscwatch.models.risk_ranking import (
    RiskModel,
    RiskRanking,
    cached_ranking,
    latest_rankable_date,
)
from cscwatch.models.risk_summary import backtest_summary, ranking_meta, results_path


@pytest.mark.parametrize(
    ("indicator", "year"),
    [
        ("rereferrals_pct", 2020),
        ("agency_rate_pct", 2021),
        ("spend_lac_per_child", 2019),
        ("s47_per_10k", 2018),
        ("lac_at31_per_10k", 2022),
        ("under18_conceptions_per_1000", 2019),
    ],
)
def test_a_year_is_used_only_after_its_publication_date(indicator: str, year: int) -> None:
    day = published_on(indicator, year)
    assert latest_published_year(indicator, day) == year - 1  # not on the day itself
    assert latest_published_year(indicator, day + timedelta(days=1)) == year
    assert latest_published_year(indicator, day - timedelta(days=1)) == year - 1


def test_every_lag_is_after_the_year_end() -> None:
    for lag in PUBLICATION_LAGS:
        assert date(2000 + lag.years_after, lag.month, lag.day) > date(2000, 3, 31), lag.source
    # workforce: year Y is DfE's census of 30 September Y, public from the next February
    assert published_on("agency_rate_pct", 2020) == date(2021, 3, 1)
    assert published_on("cin_at31_per_10k", 2021) > date(2021, 10, 1)


def _future_free_copy(src: Settings, as_at: date) -> duckdb.DuckDBPyConnection:
    """An in-memory copy of the warehouse holding only rows published before ``as_at``."""
    con = duckdb.connect()
    con.execute(f"ATTACH '{src.warehouse}' AS w (READ_ONLY)")
    for table in ("observation", "population", "statistical_neighbour", "authority"):
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM w.{table}")
    pairs = con.execute("SELECT DISTINCT indicator, year FROM observation").fetchall()
    future = []
    for ind, year in pairs:
        try:
            if published_on(ind, year) >= as_at:
                future.append((ind, year))
        except KeyError:
            continue
    con.executemany("DELETE FROM observation WHERE indicator = ? AND year = ?", future)
    con.execute("DETACH w")
    return con


@pytest.mark.parametrize("as_at", [date(2019, 11, 14), date(2019, 11, 16), date(2022, 3, 1)])
def test_features_equal_those_from_a_warehouse_without_the_future(
    warehouse: Settings, con: duckdb.DuckDBPyConnection, as_at: date
) -> None:
    cases = pd.DataFrame({"la_code": ["352", "873", "202", "886"], "as_at": as_at})
    full = build_features(con, cases)
    assert (full.provenance["published_on"] < as_at).all()
    cut = _future_free_copy(warehouse, as_at)
    try:
        past = build_features(cut, cases)
    finally:
        cut.close()
    pd.testing.assert_frame_equal(full.frame, past.frame)


def test_shifting_the_date_across_a_release_changes_only_that_source(
    con: duckdb.DuckDBPyConnection,
) -> None:
    day = published_on("rereferrals_pct", 2020)
    cases = pd.DataFrame({"la_code": ["352", "352"], "as_at": [day, day + timedelta(days=1)]})
    prov = build_features(con, cases).provenance
    used = prov.pivot_table(index="indicator", columns="case", values="year")
    assert used.loc["rereferrals_pct", 0] == 2019 and used.loc["rereferrals_pct", 1] == 2020
    before, after = (cast(float, used.loc["agency_rate_pct", c]) for c in (0, 1))
    assert before == after


def _synthetic(
    n_per_year: int = 24, seed: int = 3, falling: float = 0.0, first: int = 2014, last: int = 2020
) -> RiskData:
    """Inspections whose grade follows ``caseload`` (and, reversed, ``vacancy_rate_pct``);
    every other feature is noise. ``falling`` raises the bar for a bad grade each year,
    so the base rate falls as it did between the frameworks."""
    rng = np.random.default_rng(seed)
    rows, feats = [], []
    iid = 0
    for year in range(first, last + 1):
        for _ in range(n_per_year):
            iid += 1
            f = {c: rng.normal() for c in risk_mod.REQUIRED}
            f["caseload"] = signal = rng.normal()
            f["vacancy_rate_pct"] = -0.5 * signal + rng.normal()
            latent = 2.0 * signal + rng.logistic() - falling * (year - first)
            rank = 4.0 if latent > 2.5 else 3.0 if latent > 0.0 else 2.0
            prev = float(rng.choice([2.0, 3.0, 4.0])) if rng.uniform() < 0.8 else np.nan
            f["prev_rank"], f["prev_age_years"] = prev, rng.uniform(1, 5)
            start = date(year, 1, 1) + timedelta(days=int(rng.integers(0, 300)))
            rows.append((iid, f"{300 + iid % 50}", start, start + timedelta(days=60), rank, prev))
            feats.append(f)
    cases = pd.DataFrame(
        rows,
        columns=["inspection_id", "la_code", "start_date", "publication_date", "overall_rank", "p"],
    )
    cases["hp_rank"] = cases["overall_rank"]
    cases["prev_overall_rank"] = cases["prev_hp_rank"] = cases.pop("p")
    cases["as_at"] = cases["start_date"]
    frame = pd.DataFrame(feats)
    fs = risk_mod.FeatureSet(cases=cases, frame=frame, provenance=pd.DataFrame())
    return RiskData(cases=cases, features=fs, judgements=cases)


@pytest.fixture(scope="module")
def synthetic_results() -> dict[str, BacktestResults]:
    data = _synthetic()
    return {o: Backtest(data, outcome=o, n_boot=60).fit() for o in risk_mod.OUTCOMES}


def test_the_nested_backtest_learns_a_real_signal_and_round_trips(
    synthetic_results: dict[str, BacktestResults],
) -> None:
    for outcome in ("inadequate", "ri_or_worse"):
        res = synthetic_results[outcome]
        assert res.metric("selected").auc > 0.7  # type: ignore[operator]
        assert res.metric("transparent").auc > 0.7  # type: ignore[operator]
        assert res.metric("random").auc < 0.65  # type: ignore[operator]
        assert res.shipped_model in risk_mod.CANDIDATES
        preds = res.predictions_frame()
        assert set(preds["model"]) == {"selected", *risk_mod.MODELS}
        assert BacktestResults.from_dict(json.loads(json.dumps(res.to_dict()))) == res
        assert "selected" in res.summary
        # the first kept fold has nothing earlier to choose with
        roles = [f.role for f in res.folds]
        assert roles[0] == "selection only" and set(roles[1:]) == {"evaluated"}
    assert synthetic_results["declined"].outcome == "declined"
    assert synthetic_results["declined"].target_met is None  # no target was set


def test_the_transparent_score_chooses_indicators_and_signs_from_training_data() -> None:
    data = _synthetic()
    y = data.outcome("ri_or_worse").to_numpy().astype(int)
    when = np.array([d.toordinal() for d in data.cases["as_at"]], dtype=float)
    terms = dict(_choose_terms(data.features.frame, y, when))
    assert terms["caseload"] == 1 and terms["vacancy_rate_pct"] == -1
    assert "rereferrals_pct" not in terms  # noise
    # reversing the outcome on the training cases reverses the signs
    flipped = dict(_choose_terms(data.features.frame, 1 - y, when))
    assert flipped["caseload"] == -1 and flipped["vacancy_rate_pct"] == 1


@pytest.mark.parametrize("judgement", sorted(risk_mod.JUDGEMENTS))
@pytest.mark.parametrize("outcome", risk_mod.OUTCOMES)
def test_the_backtest_refuses_training_data_after_the_origin(outcome: str, judgement: str) -> None:
    data = _synthetic()
    c = data.cases
    # an inspection of 2016 whose report is dated 2014: it would enter the first
    # (2015) training set before it happened
    late = (c["start_date"].map(lambda d: d.year) == 2016) & c["prev_overall_rank"].notna()
    k = int(np.flatnonzero(late)[0])
    c.loc[k, "publication_date"] = date(2014, 6, 1)
    assert not np.isnan(data.outcome(outcome, judgement).iloc[k])
    with pytest.raises(InputError, match="refusing to train on the future"):
        Backtest(data, outcome=outcome, judgement=judgement, n_boot=10).fit()


def test_check_training_window() -> None:
    ok = pd.DataFrame({"as_at": [date(2018, 5, 1)], "publication_date": [date(2018, 7, 1)]})
    check_training_window(ok, date(2019, 1, 1))
    with pytest.raises(InputError):
        check_training_window(ok, date(2018, 6, 1))


def test_nested_selection_never_sees_the_fold_it_chooses_for(
    synthetic_results: dict[str, BacktestResults],
) -> None:
    # the module's fit on the same cases and seed: the folds and each fold's choice do
    # not depend on n_boot (the bootstrap only sets the intervals)
    base = synthetic_results["ri_or_worse"]
    data = _synthetic()
    fold = 2018
    # turn every outcome from the fold on upside down: choices up to the fold must not move
    c = data.cases
    later = (c["start_date"].map(lambda d: d.year) >= fold).to_numpy()
    flipped = 6.0 - c.loc[later, "overall_rank"]
    c.loc[later, "overall_rank"] = c.loc[later, "hp_rank"] = flipped
    upset = Backtest(data, outcome="ri_or_worse", n_boot=10).fit()
    before = {f.origin_year: (f.selected, f.selection_auc) for f in base.folds}
    after = {f.origin_year: (f.selected, f.selection_auc) for f in upset.folds}
    for year in before:
        if year <= fold:
            assert before[year] == after[year], year
    assert any(before[y] != after[y] for y in before if y > fold)  # the test has teeth


def test_select_model_ignores_cases_published_after_the_cutoff() -> None:
    rows = []
    for k in range(40):
        y = k % 2
        for name, good in (("transparent", 0), ("logistic", 1), ("boosted", 0)):
            score = float(y if good else 1 - y)
            rows.append((k, name, y, score, date(2018, 6, 1)))
            # later cases that would make transparent the winner
            rows.append(
                (100 + k, name, y, float(y if name == "transparent" else 1 - y), date(2019, 2, 1))
            )
    preds = pd.DataFrame(rows, columns=["inspection_id", "model", "y", "score", "publication_date"])
    assert select_model(preds, date(2019, 1, 1))[0] == "logistic"
    assert select_model(preds.iloc[:0], date(2019, 1, 1))[0] is None


def test_the_cluster_bootstrap_resamples_whole_authorities() -> None:
    clusters = np.array(["a", "a", "a", "b", "c", "c", "d", "d", "d", "d"])
    reps = M.cluster_bootstrap(clusters, 200, np.random.default_rng(1))
    sizes = set()
    for idx in reps:
        counts = np.bincount(idx, minlength=clusters.size)
        times = {}
        for k in np.unique(clusters):
            # an authority's cases enter together, as often as the authority is drawn
            (t,) = set(counts[clusters == k].tolist())
            times[k] = t
        assert sum(times.values()) == 4  # as many authorities drawn as there are
        sizes.add(idx.size)
    assert len(sizes) > 1  # replicate sizes vary: authorities, not cases, are drawn


def test_backtest_intervals_count_authorities(
    synthetic_results: dict[str, BacktestResults],
) -> None:
    res = synthetic_results["ri_or_worse"]
    assert (
        res.n_clusters == res.predictions_frame().query("model == 'selected'")["la_code"].nunique()
    )
    m = res.metric("selected")
    assert m.auc_lo is not None and m.auc_hi is not None and m.auc_lo < m.auc < m.auc_hi  # type: ignore[operator]


def test_prior_shift_moves_the_level_and_keeps_the_order() -> None:
    p = np.array([0.1, 0.3, 0.5, 0.8])
    q = prior_shift(p, 0.25, 0.13)
    assert (np.diff(q) > 0).all() and (q < p).all()
    np.testing.assert_allclose(prior_shift(p, 0.2, 0.2), p)
    # a shift from 50% to 20% multiplies the odds by 1/4
    np.testing.assert_allclose(prior_shift(np.array([0.5]), 0.5, 0.2), [0.2])


def test_recalibration_corrects_a_falling_base_rate() -> None:
    res = Backtest(_synthetic(falling=0.4, n_per_year=30), outcome="ri_or_worse", n_boot=20).fit()
    m = res.metric("selected")
    assert m.cal_intercept_raw is not None and m.cal_intercept is not None
    assert m.cal_intercept_raw < -0.3  # the raw model over-predicts as the rate falls
    assert abs(m.cal_intercept) < abs(m.cal_intercept_raw)
    folds = [f for f in res.folds if f.role == "evaluated"]
    assert np.mean([f.rate_recent for f in folds]) < np.mean([f.rate_train for f in folds])


def test_the_recent_window_ends_at_the_data_not_at_the_date() -> None:
    data = _synthetic()
    last = max(data.cases["as_at"])
    since, until = risk_mod.recent_window(data.cases)
    assert until == last and (until - since).days == 730
    # a date years after the last inspection still has recent cases to shift to
    y = data.outcome("ri_or_worse").to_numpy()
    recent = (data.cases["as_at"] >= since).to_numpy()
    assert recent.sum() >= 20
    assert risk_mod._recent_rate(data.cases, y) == pytest.approx(y[recent].mean())


def test_calibration_intercept_and_slope() -> None:
    rng = np.random.default_rng(5)
    p = rng.uniform(0.05, 0.6, 20000)
    y = (rng.uniform(size=p.size) < p).astype(int)
    a, b = M.calibration(y, p)
    assert abs(a) < 0.05 and abs(b - 1) < 0.05
    extreme = 1 / (1 + np.exp(-2 * np.log(p / (1 - p))))
    assert abs(M.calibration(y, extreme)[1] - 0.5) < 0.05
    assert M.calibration(y, np.clip(p * 1.5, 0, 0.99))[0] < -0.3  # over-prediction


def test_bad_outcome_and_judgement_are_input_errors() -> None:
    with pytest.raises(InputError, match="unknown outcome"):
        risk_mod.parse_outcome("failing")
    with pytest.raises(InputError, match="unknown judgement"):
        risk_mod.parse_judgement("leadership")
    assert risk_mod.parse_outcome(None) == risk_mod.DEFAULT_OUTCOME


# ---------------------------------------------------------------- the real warehouse


@pytest.fixture(scope="module")
def ranking(warehouse: Settings) -> RiskRanking:
    # through the run's cache, as `cscwatch risk`: fitted once for the run (the CLI
    # tests rank the same file as at the same date), a round trip checked below
    con = duckdb.connect(str(warehouse.warehouse), read_only=True)
    try:
        return cached_ranking(
            con, warehouse.snapshot_dir, date(2024, 6, 1),
            cache_dir=warehouse.cache_dir, warehouse=warehouse.warehouse,
        )  # fmt: skip
    finally:
        con.close()


class _FoldsBegan(Exception):
    """Raised by a stub in place of the rolling-origin folds: fitting has begun."""


def _folds_began(*args: object, **kwargs: object) -> None:
    raise _FoldsBegan


def test_no_ranking_where_the_figures_are_too_old_for_the_date(
    warehouse: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A date past what the warehouse's figures support is refused, as the backtest
    drops such a fold (over half the cases without a required source), before the
    seconds of fitting; the last date they support is found without fitting. Before,
    as at 2030-01-01 every lead indicator was missing, each authority's score rested on
    its previous judgement alone, and the ranking quoted the backtest of a model with
    lead indicators."""
    monkeypatch.setattr("cscwatch.models.risk_ranking._run_folds", _folds_began)
    con = duckdb.connect(str(warehouse.warehouse), read_only=True)
    try:
        for as_at, missing in (
            (date(2027, 11, 16), "from CIN census."),  # CIN 2026-27 due, 2025-26 absent
            (date(2030, 1, 1), "CIN census; LAIT: section 47 and conferences; Social work"),
        ):
            with pytest.raises(InputError, match="no ranking as at") as err:
                RiskModel(con, warehouse.snapshot_dir).fit(as_at)
            assert missing in str(err.value) and "earlier date" in str(err.value)
        # the last date the figures support: the check passes and fitting begins
        assert latest_rankable_date(con) == date(2027, 11, 15)
        with pytest.raises(_FoldsBegan):
            RiskModel(con, warehouse.snapshot_dir).fit(date(2027, 11, 15))
    finally:
        con.close()


def test_the_ranking_cache_is_keyed_by_the_warehouse_file_date_and_outcome(
    ranking: RiskRanking, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wh, cache = tmp_path / "w.duckdb", tmp_path / "cache"
    wh.write_bytes(b"one")
    fits: list[tuple[str, date]] = []

    def counted_fit(self: RiskModel, as_at: date) -> RiskRanking:
        fits.append((self.outcome, as_at))  # a refit would give the same ranking
        return ranking

    monkeypatch.setattr(RiskModel, "fit", counted_fit)
    con = duckdb.connect()
    try:

        def rank(as_at: date = date(2024, 6, 1), outcome: str = "ri_or_worse") -> RiskRanking:
            return cached_ranking(con, None, as_at, outcome=outcome, cache_dir=cache, warehouse=wh)

        assert rank() == ranking and len(fits) == 1
        assert len(list((cache / "risk").glob("*.json"))) == 1
        assert rank() == ranking and len(fits) == 1  # read from the cache
        rank(date(2024, 7, 1))
        rank(outcome="inadequate")
        assert fits[1:] == [("ri_or_worse", date(2024, 7, 1)), ("inadequate", date(2024, 6, 1))]
        wh.write_bytes(b"a rebuilt warehouse")  # new size and time: a new key
        rank()
        assert len(fits) == 4 and len(list((cache / "risk").glob("*.json"))) == 4
        assert cached_ranking(con, None, date(2024, 6, 1)) == ranking and len(fits) == 5
    finally:
        con.close()


def test_small_authorities_are_listed_not_ranked(
    con: duckdb.DuckDBPyConnection, ranking: RiskRanking
) -> None:
    assert set(risk_mod.small_authorities(con, date(2024, 6, 1))) == set(SMALL_AUTHORITIES)
    ranked = {r.la_code for r in ranking.rows}
    assert not ranked & SMALL_AUTHORITIES
    assert {e.la_code for e in ranking.excluded} == set(SMALL_AUTHORITIES)
    assert all("children aged 0–17" in e.reason and e.children < 5000 for e in ranking.excluded)
    assert len(ranked) >= 148
    # nor do they enter the backtest cases
    data = risk_mod.load_risk_data(con, None)
    assert not set(data.cases["la_code"]) & SMALL_AUTHORITIES


def test_the_ranking_records_its_model_and_every_data_date(ranking: RiskRanking) -> None:
    assert ranking.model in risk_mod.CANDIDATES
    assert {n for n, _ in ranking.selection_auc} == set(risk_mod.CANDIDATES)
    assert ranking.outcome == risk_mod.DEFAULT_OUTCOME and ranking.judgement == "overall"
    assert ranking.ofsted_record_to < date(2024, 6, 1)
    assert ranking.sources and all(s.published_on < date(2024, 6, 1) for s in ranking.sources)
    assert {"caseload", "rereferrals_pct"} <= {s.indicator for s in ranking.sources}
    assert 0 < ranking.rate_recent < 1 and 0 < ranking.rate_train < 1
    assert ranking.recent_until < date(2024, 6, 1)
    assert (ranking.recent_until - ranking.recent_since).days == 730
    probs = [r.probability for r in ranking.rows]
    assert probs == sorted(probs, reverse=True)
    assert all(len(r.drivers) == 3 for r in ranking.rows)
    assert RiskRanking.from_dict(json.loads(json.dumps(ranking.to_dict()))) == ranking
    meta = ranking_meta(ranking)
    assert meta.n_ranked == len(ranking.rows) and meta.excluded == ranking.excluded


def test_the_default_outcome_is_the_best_validated_in_the_written_results() -> None:
    path = results_path()
    if backtest_summary(path=path) is None:
        pytest.skip("no backtest written in this checkout")
    raw = json.loads(path.read_text(encoding="utf-8"))
    results = [
        BacktestResults.from_dict(payload)
        for by_outcome in raw.values()
        for payload in by_outcome.values()
    ]
    assert risk_mod.best_validated(results) == risk_mod.DEFAULT_OUTCOME
    for r in results:
        assert {m.model for m in r.metrics} == {"selected", *risk_mod.MODELS}
        assert all(f.role != "evaluated" or f.selected in risk_mod.CANDIDATES for f in r.folds)


def test_the_methods_page_records_the_choice_and_the_verdict(
    synthetic_results: dict[str, BacktestResults], tmp_path: Path
) -> None:
    from cscwatch.models.methods import _risk_page

    results = list(synthetic_results.values())
    page = _risk_page(results, (("caseload", 100, 0.7),), tmp_path)
    for heading in (
        "## Verdict",
        "## Default outcome",
        "## Model",
        "## Features",
        "## Ranking now",
    ):
        assert heading in page
    for r in results:
        assert f"Shipped model: `{r.shipped_model}`" in page
        assert "selection only" in page
    assert "**In plain words.**" in page and "resampling authorities" in page
    assert (tmp_path / "risk_reliability.png").stat().st_size > 0
