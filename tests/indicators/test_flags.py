"""Outlier flags: words, polarity, small denominators, joint returns and region names."""

from __future__ import annotations

import itertools

import duckdb
import pytest

from cscwatch.core.catalogue import CATALOGUE
from cscwatch.core.catalogue.indicator import Polarity
from cscwatch.core.errors import UnknownYearError
from cscwatch.indicators import benchmarking as bm
from cscwatch.indicators import variation as va
from cscwatch.indicators.flags import (
    FLAG_FIELDS,
    FLAG_WORDS,
    SMALL_DENOMINATOR,
    OutlierFlag,
    flag_meaning,
    make_flag,
)
from cscwatch.serve.web.flags import MEANING_TAGS, flag_html


@pytest.mark.parametrize(
    ("flag", "polarity", "meaning"),
    [
        ("higher", Polarity.HIGH_GOOD, "better"),
        ("lower", Polarity.HIGH_GOOD, "worse"),
        ("higher", Polarity.LOW_GOOD, "worse"),
        ("lower", Polarity.LOW_GOOD, "better"),
        ("higher", Polarity.NEUTRAL, "no_direction"),
        ("lower", Polarity.NEUTRAL, "no_direction"),
        ("within", Polarity.HIGH_GOOD, "none"),
        ("not_assessed", Polarity.LOW_GOOD, "none"),
    ],
)
def test_meaning_follows_polarity(flag: str, polarity: Polarity, meaning: str) -> None:
    assert flag_meaning(flag, polarity) == meaning


def _flag(flag: str, polarity: Polarity, **kw: object) -> OutlierFlag:
    args: dict[str, object] = {
        "kind": "percent",
        "polarity": polarity,
        "year": 2025,
        "value": 50.0,
        "centre": 30.0,
        "denominator": 400.0,
        "lower": 20.0,
        "upper": 40.0,
        "flag": flag,
        "chance_lower": 25.0,
        "chance_upper": 35.0,
        "chance_flag": flag,
        "small_denominator": False,
        "approximate": False,
    }
    args.update(kw)
    return make_flag(**args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("flag", "polarity"), list(itertools.product(("higher", "lower", "within"), list(Polarity)))
)
def test_the_tag_is_never_red_for_better_than_expected(flag: str, polarity: Polarity) -> None:
    f = _flag(flag, polarity)
    html = str(flag_html(f))
    assert FLAG_WORDS[flag][:1].upper() + FLAG_WORDS[flag][1:] in html  # words, not colour alone
    if f.flag_meaning == "worse":
        assert "govuk-tag--red" in html and "(worse)" in html
    else:
        assert "govuk-tag--red" not in html
    if f.flag_meaning == "better":
        assert MEANING_TAGS["better"] in html and "(better)" in html


def test_not_assessed_says_why() -> None:
    f = make_flag(
        kind=None,
        polarity=Polarity.LOW_GOOD,
        year=2025,
        value=15.0,
        centre=15.2,
        denominator=None,
        lower=None,
        upper=None,
        flag=None,
        chance_lower=None,
        chance_upper=None,
        chance_flag=None,
        small_denominator=False,
        approximate=False,
    )
    assert f.flag == "not_assessed" and f.flag_words == "not assessed"
    assert f.flag_warning and "denominator" in f.flag_warning
    assert "Not assessed" in str(flag_html(f)) and "govuk-tag" not in str(flag_html(f))
    assert tuple(f.to_dict()) == FLAG_FIELDS


def test_every_warehouse_flag_reads_polarity_right(con: duckdb.DuckDBPyConnection) -> None:
    """Across every indicator with limits, in 2025: better means the good direction."""
    checked = 0
    for ind in CATALOGUE.values():
        try:
            f = va.funnel(con, ind.id, 2025)
        except UnknownYearError:  # indicators without 2025 data
            continue
        if f is None:
            continue
        for p in f.points:
            o = p.outlier
            if o.flag_meaning == "better":
                assert (p.value > f.centre) == (ind.polarity is Polarity.HIGH_GOOD)
                assert "govuk-tag--red" not in str(flag_html(o))
                checked += 1
            if ind.polarity is Polarity.NEUTRAL:
                assert o.flag_meaning in ("no_direction", "none")
    assert checked > 0


def test_default_flag_calls_wolf_far_less_than_chance(con: duckdb.DuckDBPyConnection) -> None:
    v = va.variation(con, "rereferrals_pct", 2025)
    assert v.flag_counts is not None and v.chance_flag_counts is not None
    assert sum(v.flag_counts.values()) == v.n == 151
    chance_out = v.chance_flag_counts["higher"] + v.chance_flag_counts["lower"]
    assert chance_out == 103  # the README's "103 of 151 outside the 99.8% limits"
    assert v.flag_counts["higher"] + v.flag_counts["lower"] <= 5
    assert {p.name for p in v.outliers} == {
        p.name for p in v.outliers if p.outlier.flag_meaning == "worse"
    }


def test_small_cohort_rank_carries_a_warning(con: duckdb.DuckDBPyConnection) -> None:
    """KS2 of children on a plan: the top-ranked authority has 11 children behind it."""
    b = bm.benchmark(con, "Tower Hamlets", "ks2_rwm_cpp_pct", 2025)
    assert b.rank == 1 and b.funnel is not None and b.funnel.denominator < SMALL_DENOMINATOR
    assert b.outlier.small_denominator and b.outlier.approximate
    assert b.outlier.flag_warning and "small denominator" in b.outlier.flag_warning
    assert b.rank_note and "small denominator" in b.rank_note
    big = bm.benchmark(con, "Manchester", "rereferrals_pct", 2025)
    assert not big.outlier.small_denominator and big.rank_note is None


def test_small_authorities_are_not_ranked_and_say_so(con: duckdb.DuckDBPyConnection) -> None:
    b = bm.benchmark(con, "Isles of Scilly", "cin_at31_per_10k", 2025)
    assert b.rank is None and b.rank_note and "not ranked" in b.rank_note
    assert b.outlier.small_denominator


def test_joint_return_is_shown_as_joint_and_ranked_once(con: duckdb.DuckDBPyConnection) -> None:
    north = bm.benchmark(con, "940", "caseload", 2025)
    west = bm.benchmark(con, "941", "caseload", 2025)
    assert north.method == "shared" and north.joint_with == ("941",)
    assert north.joint_names == ("West Northamptonshire",)
    assert north.rank == west.rank and north.n_ranked == west.n_ranked
    assert north.rank_note and "joint return with West Northamptonshire" in north.rank_note
    kingston = bm.benchmark(con, "314", "caseload", 2025)
    assert kingston.joint_names == ("Richmond upon Thames",)
    # the ranking has one entry per service: ranks are the count above plus one
    values = con.execute(
        "SELECT la_code, value, joint_with FROM benchmark WHERE indicator = 'caseload' "
        "AND year = 2025 AND rank IS NOT NULL"
    ).fetchall()
    services = {(v, min(c, *j.split(",")) if j else c) for c, v, j in values}
    assert north.n_ranked == len(services) == len(values) - 2
    above = {s for s in services if s[0] > north.value}
    assert north.rank == len(above) + 1
    v = va.variation(con, "caseload", 2025)
    assert v.n == north.n_ranked


def test_region_and_sub_region_names_everywhere(con: duckdb.DuckDBPyConnection) -> None:
    from cscwatch.indicators.authorities import geography_names
    from cscwatch.indicators.observations import indicator_table, query_observations

    names = geography_names(con)
    assert names["E13000001"] == "Inner London" and names["E13000002"] == "Outer London"
    rows = indicator_table(con, "caseload", 2025)
    regional = {r.geo_code: r.name for r in rows if r.geo_level == "regional"}
    assert regional["E13000001"] == "Inner London"
    assert not [r for r in rows if r.name.startswith("E1")]
    obs = query_observations(con, indicator="caseload", years=[2025], geo_level="regional")
    assert obs and all(o.geo_name and not o.geo_name.startswith("E1") for o in obs)


def test_methods_page_counts_are_the_warehouse_counts(con: duckdb.DuckDBPyConnection) -> None:
    """The table of flag counts in docs/methods/benchmarking.md is measured, not typed."""
    import re

    from cscwatch.core.config import repo_root

    text = (repo_root() / "docs" / "methods" / "benchmarking.md").read_text(encoding="utf-8")
    rows = re.findall(
        r"^\| `(\w+)` \| (\d+) \| (\d+) / (\d+) \| (\d+) / (\d+) \|", text, flags=re.MULTILINE
    )
    assert len(rows) >= 8
    for ind, n, hi, lo, chi, clo in rows:
        f = va.funnel(con, ind, 2025)
        assert f is not None
        got: tuple[int, ...] = (len(f.points), f.count("higher"), f.count("lower"))
        got += (f.count("higher", chance=True), f.count("lower", chance=True))
        assert got == tuple(int(x) for x in (n, hi, lo, chi, clo)), ind


def test_the_flag_says_what_it_is_relative_to() -> None:
    f = _flag("higher", Polarity.LOW_GOOD)
    assert f.flag_relative_to.startswith("England's value for the same year, 99.8% limits")
    assert f.flag_year == 2025 and f.flag_centre == 30.0 and f.flag_basis == "random_effects"
    p = _flag("higher", Polarity.LOW_GOOD, compared_year="2024, the latest published year")
    assert "England's value for 2024, the latest published year" in p.flag_relative_to
    r = _flag("lower", Polarity.HIGH_GOOD, kind="per_10k")
    assert "log scale" in r.flag_relative_to and r.flag_basis == "random_effects_log"
