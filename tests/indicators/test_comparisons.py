"""Neighbours' own values and chosen authorities side by side, on the real snapshot."""

from __future__ import annotations

import math
from typing import Any, cast

import duckdb
import pytest

from cscwatch.core.errors import (
    AmbiguousAuthorityError,
    InputError,
    UnknownAuthorityError,
    UnknownYearError,
)
from cscwatch.indicators.benchmarking import benchmark
from cscwatch.indicators.comparisons import (
    MAX_COMPARED,
    compare,
    neighbour_comparison,
    parse_authority_list,
)


def test_each_neighbours_value_agrees_with_the_benchmarked_mean(
    con: duckdb.DuckDBPyConnection,
) -> None:
    c = neighbour_comparison(con, "Leeds", "rereferrals_pct", 2025)
    b = benchmark(con, "383", "rereferrals_pct", 2025)
    neighbours = [r for r in c.rows if r.role == "neighbour"]
    assert len(neighbours) == 10 and c.rows[0].role == "authority"
    assert [r.closeness for r in neighbours] == list(range(1, 11))
    values = [r.value for r in neighbours if r.value is not None]
    assert b.sn_mean is not None and math.isclose(sum(values) / len(values), b.sn_mean)
    assert len(values) == b.sn_n
    england = next(r for r in c.comparators if r.role == "england")
    region = next(r for r in c.comparators if r.role == "region")
    assert england.value == b.england and region.value == b.region
    assert region.name == "Yorkshire and The Humber"
    # rank: 1 = highest, among the authority and its neighbours with a figure
    mine = c.rows[0].value
    assert mine is not None
    assert c.rank == 1 + sum(v > mine for v in values)
    assert c.n_ranked == len(values) + 1
    assert c.rank_basis == "1 = highest value; lower is better"
    assert "10 statistical neighbours (DfE 2025 model)" in c.relative_to
    assert c.summary.startswith(f"Re-referrals within 12 months (%), 2024-25: {c.rank} of 11")


def test_a_suppressed_neighbour_keeps_its_symbol_and_is_not_ranked(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """Hampshire's 2023-24 re-referral rate is published as ``u`` (low reliability)."""
    c = neighbour_comparison(con, "West Sussex", "rereferrals_pct", 2024)
    hampshire = next(r for r in c.rows if r.code == "850")
    assert (hampshire.value, hampshire.status, hampshire.rank) == (None, "u", None)
    assert c.n_ranked == sum(r.value is not None for r in c.rows) < len(c.rows)
    d = cast(dict[str, Any], c.to_dict())
    assert {"code": "850", "value": None, "status": "u"}.items() <= d["rows"][
        [r["code"] for r in d["rows"]].index("850")
    ].items()


def test_default_year_is_the_latest_the_authority_has(con: duckdb.DuckDBPyConnection) -> None:
    former = neighbour_comparison(con, "Northamptonshire", "cpp_at31_per_10k")
    assert former.year == 2021  # its last reporting year, not England's latest


def test_compare_chosen_authorities(con: duckdb.DuckDBPyConnection) -> None:
    c = compare(con, ["Hull", "Leeds", "383", "Bristol, City of"], "cpp_at31_per_10k", 2025)
    assert [r.code for r in c.rows] == ["810", "383", "801"]  # Leeds given twice counts once
    values = {r.code: r.value for r in c.rows}
    order = sorted(values, key=lambda k: -(values[k] or 0))
    assert [next(r.rank for r in c.rows if r.code == k) for k in order] == [1, 2, 3]
    assert {r.name for r in c.comparators} == {
        "Yorkshire and The Humber",
        "South West",
        "England",
    }
    assert c.subject is None and c.kind == "chosen"
    assert c.rank_basis == "1 = highest value; neither higher nor lower is better"


def test_compare_refuses_more_than_ten_and_unknown_names(con: duckdb.DuckDBPyConnection) -> None:
    eleven = ["352", "383", "810", "801", "840", "894", "884", "330", "331", "332", "333"]
    with pytest.raises(InputError, match=f"at most {MAX_COMPARED} authorities"):
        compare(con, eleven, "rereferrals_pct")
    assert len(compare(con, eleven[:10], "rereferrals_pct").rows) == 10
    with pytest.raises(UnknownAuthorityError, match="Manchester"):
        compare(con, ["Leeds", "Manchestr"], "rereferrals_pct")
    with pytest.raises(AmbiguousAuthorityError):
        compare(con, ["Kingston"], "rereferrals_pct")
    with pytest.raises(InputError, match="at least one"):
        compare(con, [], "rereferrals_pct")
    with pytest.raises(UnknownYearError):
        compare(con, ["Leeds"], "rereferrals_pct", 1999)


def test_parse_authority_list_keeps_the_publishers_inverted_names() -> None:
    assert parse_authority_list("Leeds, Bristol, City of ,352,,") == [
        "Leeds",
        "Bristol, City of",
        "352",
    ]
    assert parse_authority_list(["Hull,Leeds", "York"]) == ["Hull", "Leeds", "York"]


def test_a_former_authority_s_figure_after_it_ceased_is_shown_not_ranked(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """Northamptonshire (928, ceased 1 April 2021) has LAIT's foster places filled for
    31 March 2023, North and West Northamptonshire's joint service's figure: shown under
    928 but not ranked; theirs, and ranked, for them (docs/methods/benchmarking.md)."""
    c = compare(con, ["928", "940", "866"], "foster_places_filled_pct", 2023)
    rows = {r.code: r for r in c.rows}
    assert rows["928"].value == pytest.approx(360 / 395 * 100) and rows["928"].rank is None
    assert rows["940"].value == rows["928"].value and rows["940"].rank == 1
    assert c.n_ranked == 2 and "ceased is shown, not ranked" in c.relative_to
    n = neighbour_comparison(con, "866", "foster_places_filled_pct", 2023)
    got = {r.code: r.value for r in n.rows if r.role == "neighbour" and r.value is not None}
    assert got["941"] == rows["928"].value
    b = benchmark(con, "866", "foster_places_filled_pct", 2023)
    assert b.sn_mean == pytest.approx(sum(got.values()) / len(got)) and b.sn_n == len(got)
