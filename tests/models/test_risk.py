"""Early warning: no feature uses unpublished data; the backtest never trains on the
future; results round-trip through JSON."""

from __future__ import annotations

import json
from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd
import pytest

from cscwatch.core.config import Settings
from cscwatch.core.errors import InputError
from cscwatch.models import risk as risk_mod
from cscwatch.models.features import (
    PUBLICATION_LAGS,
    build_features,
    latest_published_year,
    published_on,
)
from cscwatch.models.risk import Backtest, BacktestResults, RiskData, check_training_window


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
    assert used.loc["agency_rate_pct", 0] == used.loc["agency_rate_pct", 1]


def _synthetic(n_per_year: int = 30, seed: int = 3) -> RiskData:
    rng = np.random.default_rng(seed)
    rows, feats = [], []
    iid = 0
    for year in range(2014, 2022):
        for _ in range(n_per_year):
            iid += 1
            signal = rng.normal()
            bad = rng.uniform() < 1 / (1 + np.exp(-(2.5 * signal - 2)))
            start = date(year, 1, 1) + timedelta(days=int(rng.integers(0, 300)))
            rows.append(
                (
                    iid,
                    f"{300 + iid % 50}",
                    start,
                    start + timedelta(days=60),
                    4.0 if bad else 2.0,
                    np.nan,
                )
            )
            feats.append(
                {"signal": signal, "noise": rng.normal(), "lead_score": signal, "prev_rank": np.nan}
            )
    cases = pd.DataFrame(
        rows,
        columns=[
            "inspection_id",
            "la_code",
            "start_date",
            "publication_date",
            "overall_rank",
            "hp_rank",
        ],
    )
    cases["as_at"] = cases["start_date"]
    frame = pd.DataFrame(feats)
    fs = risk_mod.FeatureSet(cases=cases, frame=frame, provenance=pd.DataFrame())
    return RiskData(cases=cases, features=fs, judgements=cases)


def test_backtest_learns_a_real_signal_and_round_trips() -> None:
    res = Backtest(_synthetic(), first_origin=2019, n_boot=50).fit()
    assert res.metric("logistic").auc > 0.75  # type: ignore[operator]
    assert res.metric("lead_score").auc > 0.75  # type: ignore[operator]
    preds = res.predictions_frame()
    assert set(preds["model"]) == set(risk_mod.MODELS)
    assert BacktestResults.from_dict(json.loads(json.dumps(res.to_dict()))) == res
    assert "logistic" in res.summary


def test_backtest_refuses_to_train_on_the_future() -> None:
    data = _synthetic()
    # a report "published" before its inspection started: it would enter the 2017
    # training set although the inspection began in 2019
    c = data.cases
    k = int(np.flatnonzero(c["start_date"].map(lambda d: d.year) == 2019)[0])
    c.loc[k, "publication_date"] = date(2016, 6, 1)
    with pytest.raises(InputError, match="refusing to train on the future"):
        Backtest(data, first_origin=2017, n_boot=10, models=("previous_judgement",)).fit()


def test_check_training_window() -> None:
    ok = pd.DataFrame({"as_at": [date(2018, 5, 1)], "publication_date": [date(2018, 7, 1)]})
    check_training_window(ok, date(2019, 1, 1))
    with pytest.raises(InputError):
        check_training_window(ok, date(2018, 6, 1))
