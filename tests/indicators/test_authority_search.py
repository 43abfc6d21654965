"""The one authority resolver: short names, old names, misspellings, ambiguity.

On the warehouse built from the real snapshot (names as DfE publishes them).
"""

from __future__ import annotations

import duckdb
import pytest

from cscwatch.core.errors import AmbiguousAuthorityError, UnknownAuthorityError
from cscwatch.indicators._search import Candidate, match, normalise
from cscwatch.indicators.authorities import (
    authority_candidates,
    resolve_authority,
    resolve_authority_name,
    suggest_authorities,
)


@pytest.mark.parametrize(
    ("text", "la_code"),
    [
        ("Hull", "810"),  # Kingston upon Hull, City of
        ("hull city council", "810"),
        ("Telford", "894"),  # Telford and Wrekin
        ("Telford & Wrekin", "894"),
        ("Herefordshire", "884"),  # Herefordshire, County of
        ("Durham", "840"),  # County Durham
        ("Durham County Council", "840"),
        ("Bristol", "801"),
        ("City of Bristol", "801"),
        ("Kingston upon Thames", "314"),
        ("Saint Helens", "342"),
        ("Southend", "882"),  # Southend-on-Sea
        ("Stockton", "808"),  # Stockton-on-Tees
        ("BCP", "839"),
        ("B&NES", "800"),
        ("Christchurch", "839"),  # merged into BCP in 2019
        ("Notts", "891"),
        ("manchester", "352"),
        ("E08000003", "352"),
        (" 352 ", "352"),
    ],
)
def test_common_and_short_names_find_one_authority(
    con: duckdb.DuckDBPyConnection, text: str, la_code: str
) -> None:
    assert resolve_authority(con, text).la_code == la_code


def test_old_names_of_reorganised_authorities(con: duckdb.DuckDBPyConnection) -> None:
    """A reorganised authority's own name finds it, and it names what replaced it."""
    bournemouth = resolve_authority(con, "Bournemouth")
    assert (bournemouth.la_code, bournemouth.is_current) == ("837", False)
    assert bournemouth.successors == ("839",)
    assert resolve_authority(con, "Poole").successors == ("839",)
    northants = resolve_authority(con, "Northamptonshire")
    assert (northants.la_code, northants.successors) == ("928", ("940", "941"))
    cumbria = resolve_authority(con, "cumbria")
    assert (cumbria.la_code, cumbria.successors) == ("909", ("942", "943"))
    # a name shared by a former and a current authority is the current one; the
    # former is reached by the label the suggestions give it
    assert resolve_authority(con, "Dorset").la_code == "838"
    assert resolve_authority(con, "Dorset (LA 835)").la_code == "835"


@pytest.mark.parametrize(
    ("text", "choices"),
    [
        ("Kingston", ["Kingston upon Hull, City of", "Kingston upon Thames"]),
        ("Sussex", ["East Sussex", "West Sussex"]),
        ("Yorkshire", ["East Riding of Yorkshire", "North Yorkshire"]),
    ],
)
def test_ambiguous_text_lists_the_choices(
    con: duckdb.DuckDBPyConnection, text: str, choices: list[str]
) -> None:
    with pytest.raises(AmbiguousAuthorityError) as info:
        resolve_authority(con, text)
    assert info.value.suggestions == choices
    assert info.value.code == "ambiguous_authority"
    assert "ambiguous" in str(info.value)
    # each choice given back finds exactly one authority
    assert len({resolve_authority(con, c).la_code for c in choices}) == len(choices)


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("Manchestr", "Manchester"),
        ("Herefordshre", "Herefordshire, County of"),
        ("Middlesborough", "Middlesbrough"),
        ("Telfrod", "Telford and Wrekin"),
        ("Bournmouth", "Bournemouth"),
        ("Cumbira", "Cumbria"),
        ("Durhum", "County Durham"),
        ("Birmigham", "Birmingham"),
    ],
)
def test_misspellings_are_suggested_never_taken(
    con: duckdb.DuckDBPyConnection, text: str, first: str
) -> None:
    with pytest.raises(UnknownAuthorityError) as info:
        resolve_authority(con, text)
    assert not isinstance(info.value, AmbiguousAuthorityError)
    suggestions = info.value.suggestions
    assert suggestions[0] == first
    assert len(suggestions) == len(set(suggestions)) <= 5
    for s in suggestions:  # every suggestion resolves, to a different authority
        resolve_authority(con, s)
    assert len({resolve_authority(con, s).la_code for s in suggestions}) == len(suggestions)


def test_a_single_close_spelling_is_the_only_suggestion(con: duckdb.DuckDBPyConnection) -> None:
    """No far-off names padding the list (the API's error example pins this one)."""
    with pytest.raises(UnknownAuthorityError) as info:
        resolve_authority(con, "Manchestr")
    assert info.value.suggestions == ["Manchester"]
    assert str(info.value) == "unknown authority 'Manchestr'; did you mean: Manchester?"


def test_a_region_is_not_taken_for_an_authority(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(UnknownAuthorityError) as info:
        resolve_authority(con, "London")
    assert info.value.suggestions == ["City of London"]
    with pytest.raises(UnknownAuthorityError):
        resolve_authority(con, "xyzzy")


def test_suggest_authorities(con: duckdb.DuckDBPyConnection) -> None:
    assert suggest_authorities(con, "Hull") == ["Kingston upon Hull, City of"]
    assert suggest_authorities(con, "Kingston") == [
        "Kingston upon Hull, City of",
        "Kingston upon Thames",
    ]
    assert suggest_authorities(con, "Manchestr") == ["Manchester"]


def test_every_authority_is_found_by_its_own_name_and_label(
    con: duckdb.DuckDBPyConnection,
) -> None:
    cands = authority_candidates(con)
    assert len(cands) >= 153
    names = [c.name for c in cands]
    for c in cands:
        want = c.la_code
        if names.count(c.name) == 1:
            assert resolve_authority(con, c.name).la_code == want
        else:  # Dorset: the current one by name, the former by its label
            current = next(x.la_code for x in cands if x.name == c.name and x.is_current)
            assert resolve_authority(con, c.name).la_code == current
            assert resolve_authority(con, f"{c.name} (LA {want})").la_code == want


def test_normalise() -> None:
    assert normalise("Stockton-on-Tees") == "stockton on tees"
    assert normalise("St. Helens") == normalise("Saint Helens") == "st helens"
    assert normalise("Brighton & Hove") == "brighton and hove"


def test_match_over_a_names_list_without_a_warehouse() -> None:
    cands = [Candidate("352", "Manchester"), Candidate("801", "Bristol, City of")]
    assert match("bristol", cands).la_code == "801"
    assert match("Manchster", cands).suggestions == ("Manchester",)
    assert match("", cands).la_code is None


def test_ofsted_history_uses_the_same_matching() -> None:
    names = {"810": "Kingston upon Hull, City of", "314": "Kingston upon Thames"}
    assert resolve_authority_name("Hull", names) == "810"
    with pytest.raises(AmbiguousAuthorityError):
        resolve_authority_name("Kingston", names)
