"""Benchmarking and variation on the real warehouse, and the funnel arithmetic."""

from __future__ import annotations

import math

import duckdb
import pytest

from cscwatch.core.errors import UnknownAuthorityError, UnknownIndicatorError, UnknownYearError
from cscwatch.indicators import benchmarking as bm
from cscwatch.indicators.catalogue import CATALOGUE, get_indicator


def test_catalogue_has_required_indicators() -> None:
    required = """referrals referrals_per_10k rereferrals_pct nfa_pct assessed_not_in_need_pct
    cin_episodes_per_10k cin_at31_per_10k s47_per_10k icpc_per_10k cpp_starts_per_10k
    cpp_at31_per_10k repeat_cpp_pct cpp_2yrs_plus_pct lac_at31_per_10k lac_starts_per_10k
    agency_rate_pct vacancy_rate_pct turnover_rate_pct caseload absence_rate_pct
    spend_social_work_per_child spend_social_work_per_cin
    spend_children_centres_per_child""".split()
    assert not set(required) - set(CATALOGUE)
    assert len(CATALOGUE) >= 40
    assert any(i.topic == "factors" for i in CATALOGUE.values())
    assert {"ks2_rwm_cin_pct", "ks2_rwm_all_pct", "ks4_att8_cin", "ks4_att8_all"} <= set(CATALOGUE)
    for ind in CATALOGUE.values():
        assert ind.id == ind.id.lower() and " " not in ind.id
        assert ind.title and ind.definition and ind.source and ind.numerator


def test_unknown_indicator_suggests() -> None:
    with pytest.raises(UnknownIndicatorError, match="rereferrals_pct"):
        get_indicator("rereferral_pct")


def test_benchmark_manchester_rereferrals(con: duckdb.DuckDBPyConnection) -> None:
    b = bm.benchmark(con, "Manchester", "rereferrals_pct", 2025)
    assert b.la_code == "352" and b.year == 2025
    assert b.value == pytest.approx(18.4)
    assert b.england == pytest.approx(22.6)
    assert b.region is not None and b.sn_n == 10
    assert b.sn_mean is not None and b.sn_median is not None
    assert 1 <= (b.rank or 0) <= b.n_ranked <= 153
    assert b.quartile in (1, 2, 3, 4)
    assert b.funnel is not None and b.funnel.lower998 < b.funnel.lower95 < 22.6 < b.funnel.upper95
    assert b.funnel_flag in ("above", "below", "within")
    assert b.trend.years[-1] == 2025


def test_funnel_flag_matches_limits(con: duckdb.DuckDBPyConnection) -> None:
    f = bm.funnel(con, "rereferrals_pct", 2024)
    assert f is not None and f.tau2 > 0
    for p in f.points:
        var = (f.centre / 100) * (1 - f.centre / 100) / p.denominator * 100**2
        outside = abs(p.value - f.centre) > bm.Z998 * math.sqrt(var)
        assert (p.flag != "within") == outside
    # Overdispersion-adjusted limits are wider: fewer authorities flagged.
    assert sum(p.flag_od != "within" for p in f.points) <= sum(p.flag != "within" for p in f.points)


def test_tau2_is_zero_without_overdispersion() -> None:
    ind = get_indicator("rereferrals_pct")
    # Values exactly at the centre: no excess variation.
    assert bm._tau2(ind, 20.0, [(20.0, 1000.0)] * 30) == 0.0


def test_limits_normal_approximation_poisson() -> None:
    ind = get_indicator("cpp_at31_per_10k")
    lim = bm._limits(ind, 40.0, 50000.0, None)
    assert lim is not None
    sd = math.sqrt(40.0 * 10000 / 50000)
    assert lim.upper95 == pytest.approx(40 + 1.959964 * sd, rel=1e-6)
    assert lim.lower998 == pytest.approx(40 - 3.090232 * sd, rel=1e-6)


def test_rank_ties_share_the_lowest_rank(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        "SELECT geo_code, value FROM observation WHERE indicator = 'nfa_pct' AND year = 2025 "
        "AND geo_level = 'la' AND value IS NOT NULL AND geo_code NOT IN ('201', '420')"
    ).fetchall()
    values = [v for _, v in rows]
    tied = next(v for v in values if values.count(v) > 1)
    codes = [c for c, v in rows if v == tied]
    ranks = {bm.benchmark(con, c, "nfa_pct", 2025).rank for c in codes[:2]}
    assert ranks == {1 + sum(v > tied for v in values)}


def test_profile_covers_catalogue(con: duckdb.DuckDBPyConnection) -> None:
    p = bm.profile(con, "E08000003")
    assert p.authority.name == "Manchester"
    assert len(p.benchmarks) >= 55
    assert {b.indicator for b in p.benchmarks} >= {"rereferrals_pct", "agency_rate_pct"}


def test_profile_of_former_authority_uses_its_last_years(con: duckdb.DuckDBPyConnection) -> None:
    p = bm.profile(con, "Cumbria")
    years = {b.year for b in p.benchmarks if b.indicator == "referrals"}
    assert years == {2023}


def test_variation_excludes_small_by_default(con: duckdb.DuckDBPyConnection) -> None:
    v = bm.variation(con, "rereferrals_pct", 2025)
    vs = bm.variation(con, "rereferrals_pct", 2025, include_small=True)
    assert vs.n == v.n + 2
    assert v.min_authority != "Isles of Scilly"
    assert v.min_value is not None and v.max_value is not None
    assert v.min_value <= v.q1 <= v.median <= v.q3 <= v.max_value  # type: ignore[operator]
    d = v.to_dict()
    assert set(d) >= {"indicator", "year", "min", "max", "median", "england", "n"}
    assert set(d["min"]) == {"value", "authority"}  # type: ignore[arg-type]


def test_errors(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(UnknownAuthorityError, match="Manchester"):
        bm.profile(con, "Manchster")
    with pytest.raises(UnknownYearError):
        bm.variation(con, "rereferrals_pct", 2005)
    with pytest.raises(UnknownYearError):
        bm.benchmark(con, "Manchester", "lac_at31_per_10k", 2015)


def test_series_has_comparators(con: duckdb.DuckDBPyConnection) -> None:
    rows = bm.series(con, "cpp_at31_per_10k", "Leeds")
    latest = rows[-1]
    assert latest["year"] == 2025
    assert all(latest[k] is not None for k in ("authority", "sn_mean", "region", "england"))
