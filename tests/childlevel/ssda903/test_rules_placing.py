"""SSDA903 rules that need the UASC status, the placing authority or Ofsted's lists.

105, 205C, 303 (the header's UASC status); 411, 452, 503H, 503J, 1015 (the local
authority of placement, derived from PL_POST); 219, 221, 224, 227, 228, 229, 1008
(Ofsted's provider lists). Each case is a return built to break the rule with a near
miss beside it; ``expected`` is exactly the (table, row) pairs the rule must flag.
Collection year 2024-25 unless a case says otherwise.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from rulekit import failures

from cscwatch.childlevel.ssda903.engine import plan
from cscwatch.childlevel.ssda903.providers import Provider, ProviderLists

Y = "lac2024_25"
OLD = "lac2022_23"

#: Reference postcodes (latitude, longitude) and their ONS districts: Richmond upon
#: Thames (a London borough: its own upper tier), two districts of Kent (one upper
#: tier), Cardiff, Edinburgh and Jersey.
POSTCODES = {
    "TW9 1AA": (51.46, -0.30),
    "TW10 6AA": (51.45, -0.30),
    "ME14 1AA": (51.27, 0.52),
    "CT1 1AA": (51.28, 1.08),
    "CF10 1AA": (51.48, -3.18),
    "EH1 1AA": (55.95, -3.19),
    "JE2 3AA": (49.19, -2.11),
}
DISTRICTS = {
    "TW9 1AA": "E09000027",
    "TW10 6AA": "E09000027",
    "ME14 1AA": "E07000110",  # Maidstone, in Kent (886)
    "CT1 1AA": "E07000106",  # Canterbury, in Kent
    "CF10 1AA": "W06000015",
    "EH1 1AA": "S12000036",
    "JE2 3AA": "L99999999",
}
RICHMOND = "318"
KENT = "886"


def ep(child: str, **kw: str) -> dict[str, str]:
    base = {"CHILD": child, "DECOM": "01/06/2024", "RNE": "S", "LS": "C2", "PLACE": "K2"}
    return {**base, **kw}


def placed(code: str, current: dict[str, Any], previous: dict[str, Any] | None = None) -> set:
    return failures(
        code,
        Y,
        current=current,
        previous=previous,
        postcodes=POSTCODES,
        districts=DISTRICTS,
        la_code=RICHMOND,
    )


# --- the UASC status ---------------------------------------------------------------------


def test_105_xml_status_blank_or_invalid() -> None:
    header = [
        {"CHILD": "a", "UASC": "0"},
        {"CHILD": "b", "UASC": "1"},
        {"CHILD": "c", "UASC": None},
        {"CHILD": "d", "UASC": "2"},
        {"CHILD": "e", "UASC": " 1 "},
    ]
    # " 1 " is trimmed when staged (as every value is): a valid code.
    assert failures("105", current={"header": header}) == {("header", 3), ("header", 4)}


def test_105_is_not_run_on_a_csv_set() -> None:
    decided = plan(Y, {"header"}, has_previous=False, codes={"105"})
    assert not decided.run
    assert "XML export only" in decided.not_run[0].reason
    assert plan(Y, {"header"}, has_previous=False, has_uasc_status=True, codes={"105"}).run


def test_303_duc_needs_status_1() -> None:
    current = {
        "header": [
            {"CHILD": "a", "UASC": "1"},
            {"CHILD": "b", "UASC": "0"},
            {"CHILD": "c", "UASC": None},
            {"CHILD": "d", "UASC": "0"},
        ],
        "uasc": [
            {"CHILD": "a", "DUC": "01/01/2025"},
            {"CHILD": "b", "DUC": "01/01/2025"},
            {"CHILD": "c", "DUC": "01/01/2025"},
            {"CHILD": "d", "DOB": "01/01/2010"},  # no DUC: near miss
        ],
    }
    assert failures("303", current=current) == {
        ("uasc", 2),
        ("header", 2),
        ("uasc", 3),
        ("header", 3),
    }


def test_303_cannot_fail_on_a_csv_set() -> None:
    # In a CSV set the status is having a UASC record: a DUC implies status 1.
    current = {"header": [{"CHILD": "a"}], "uasc": [{"CHILD": "a", "DUC": "01/01/2025"}]}
    assert failures("303", current=current) == set()


def test_205c_duc_without_status_either_year() -> None:
    current = {
        "header": [
            {"CHILD": "a", "UASC": "0"},  # never UASC, DUC this year: fails
            {"CHILD": "b", "UASC": "0"},  # UASC last year: passes
            {"CHILD": "c", "UASC": "1"},  # UASC this year: passes
            {"CHILD": "d", "UASC": "0"},  # never UASC, DUC last year only: fails
            {"CHILD": "e", "UASC": "0"},  # never UASC, no DUC either year: passes
        ],
        "uasc": [
            {"CHILD": "a", "DUC": "01/01/2025"},
            {"CHILD": "b", "DUC": "01/01/2025"},
            {"CHILD": "c", "DUC": "01/01/2025"},
            {"CHILD": "d"},
            {"CHILD": "e", "DOB": "01/01/2010"},
        ],
    }
    previous = {
        "header": [
            {"CHILD": "a", "UASC": "0"},
            {"CHILD": "b", "UASC": "1"},
            {"CHILD": "d", "UASC": None},
        ],
        "uasc": [{"CHILD": "b"}, {"CHILD": "d", "DUC": "01/01/2024"}],
    }
    assert failures("205C", current=current, previous=previous) == {
        ("uasc", 1),
        ("header", 1),
        ("uasc", 4),
        ("header", 4),
    }


def test_168_upn_shape_taken_before_pseudonymising() -> None:
    header = [
        {"CHILD": "a", "UPN": "A12345678901B"},
        {"CHILD": "b", "UPN": "I123456789012"},  # I is not a UPN's first letter
        {"CHILD": "c", "UPN": "UN5"},
        {"CHILD": "d", "UPN": "UN6"},  # a CIN census code, not the 903's
        {"CHILD": "e", "UPN": "a123456789012"},  # case ignored, as in the pseudonym
        {"CHILD": "f"},
        {"CHILD": "g", "UPN": "A1234567890"},
    ]
    assert failures("168", current={"header": header}) == {
        ("header", 2),
        ("header", 4),
        ("header", 7),
    }


# --- the local authority of placement ---------------------------------------------------


def test_1015_own_provision_outside_own_authority() -> None:
    episodes = [
        ep("a", PLACE_PROVIDER="PR1", PL_POST="TW9 1AA"),  # in Richmond: passes
        ep("b", PLACE_PROVIDER="PR1", PL_POST="ME14 1AA"),  # in Kent: fails
        ep("c", PLACE_PROVIDER="PR2", PL_POST="ME14 1AA"),  # not own provision
        ep("d", PLACE_PROVIDER="PR1", PL_POST="ME14 1AA", LS="V3"),  # short break
        ep("e", PLACE_PROVIDER="PR1", PL_POST="ME14 1AA", PLACE="U1"),  # foster carers
        ep("f", PLACE_PROVIDER="PR1", PL_POST="ZZ9 9ZZ"),  # unknown postcode: not judged
        ep("g", PLACE_PROVIDER="PR1", PL_POST="CF10 1AA"),  # Wales: outside
        ep("h", PLACE_PROVIDER="PR1", PL_POST="tw10 6aa"),  # spacing and case ignored
        ep("i", PLACE_PROVIDER="PR1", PL_POST="JE2 3AA"),  # Jersey: outside
    ]
    assert placed("1015", {"episodes": episodes}) == {
        ("episodes", 2),
        ("episodes", 7),
        ("episodes", 9),
    }


def test_1015_is_relative_to_the_authority_given() -> None:
    episodes = [ep("a", PLACE_PROVIDER="PR1", PL_POST="TW9 1AA")]
    kent = failures(
        "1015",
        Y,
        current={"episodes": episodes},
        postcodes=POSTCODES,
        districts=DISTRICTS,
        la_code=KENT,
    )
    assert kent == {("episodes", 1)}
    assert placed("1015", {"episodes": episodes}) == set()


def test_411_cannot_flag_derived_location() -> None:
    # PL_LOCATION and PL_LA both come from PL_POST: in, out, unknown and abroad agree.
    episodes = [
        ep("a", PL_POST="TW9 1AA"),
        ep("b", PL_POST="ME14 1AA"),
        ep("c", PL_POST="ZZ9 9ZZ"),
        ep("d", PL_POST="EH1 1AA"),
        ep("e"),
    ]
    assert placed("411", {"episodes": episodes}) == set()


def _open_last(child: str, post: str | None, **kw: str) -> dict[str, Any]:
    return ep(child, DECOM="01/06/2023", PL_POST=post, **kw)  # type: ignore[arg-type]


def test_452_and_503h_placing_authority_carried_over() -> None:
    previous = {
        "episodes": [
            _open_last("a", "ME14 1AA"),
            _open_last("b", "ME14 1AA"),
            _open_last("c", "TW9 1AA"),
            _open_last("d", "ZZ9 9ZZ"),
            _open_last("e", "TW9 1AA", RNE="P"),
            _open_last("f", "TW9 1AA", DEC="01/03/2024"),
        ]
    }
    current = {
        "episodes": [
            ep("a", DECOM="01/04/2024", PL_POST="CT1 1AA"),  # Kent both years: passes
            ep("b", DECOM="01/04/2024", PL_POST="TW9 1AA"),  # Kent -> Richmond: fails
            ep("c", DECOM="01/04/2024", PL_POST="ZZ9 9ZZ"),  # known -> unknown: fails
            ep("d", DECOM="01/04/2024", PL_POST="ZZ8 8ZZ"),  # unknown both: passes
            ep("e", DECOM="01/04/2024", PL_POST="ME14 1AA"),  # RNE differs: 452 passes
            ep("f", DECOM="01/04/2024", PL_POST="ME14 1AA"),  # last year closed
        ]
    }
    assert placed("452", current, previous) == {("episodes", 2), ("episodes", 3)}
    assert placed("503H", current, previous) == {
        ("episodes", 2),
        ("episodes", 3),
        ("episodes", 5),
    }


def test_503j_location_carried_over() -> None:
    previous = {
        "episodes": [
            _open_last("a", "ME14 1AA"),
            _open_last("b", "ME14 1AA"),
            _open_last("c", "TW9 1AA"),
        ]
    }
    current = {
        "episodes": [
            ep("a", DECOM="01/04/2024", PL_POST="EH1 1AA"),  # OUT both years: passes
            ep("b", DECOM="01/04/2024", PL_POST="TW10 6AA"),  # OUT -> IN: fails
            ep("c", DECOM="01/04/2024", PL_POST="ZZ9 9ZZ"),  # IN -> unknown: fails
        ]
    }
    assert placed("503J", current, previous) == {("episodes", 2), ("episodes", 3)}


@pytest.mark.parametrize("code", ["411", "1015", "503J", "229"])
def test_rules_needing_the_authority_say_so(code: str) -> None:
    decided = plan(
        Y,
        {"episodes"},
        has_previous=True,
        has_postcodes=True,
        has_providers=True,
        codes={code},
    )
    assert not decided.run
    assert decided.not_run[0].reason == (
        "needs the submitting authority's own code (give it with --la-code)"
    )


# --- Ofsted's provider lists -------------------------------------------------------------

LISTS = ProviderLists(
    (),
    "combined list",
    (
        Provider("SC111111", ("K2",), ("PR1", "PR2"), None, ("TW91AA",)),
        Provider("SC222222", ("K2",), ("PR3",), date(2024, 9, 30), ("ME141AA",)),
        Provider("1234567", ("K1", "K2"), ("PR4",), None, ("ZZ99ZZ",)),
    ),
)


def with_lists(code: str, episodes: list[dict[str, Any]], ruleset: str = Y) -> set:
    return failures(
        code,
        ruleset,
        current={"episodes": episodes},
        postcodes=POSTCODES,
        districts=DISTRICTS,
        la_code=RICHMOND,
        providers=LISTS,
    )


def test_1008_urn_not_in_the_lists() -> None:
    episodes = [
        ep("a", URN="SC111111"),
        ep("b", URN="sc222222"),  # case ignored
        ep("c", URN="SC999999"),
        ep("d", URN="XXXXXXX"),  # not known: not judged
        ep("e"),
        ep("f", URN="1234567"),
    ]
    assert with_lists("1008", episodes) == {("episodes", 3)}


def test_219_place_among_the_urns_placement_types() -> None:
    episodes = [
        ep("a", URN="SC111111", PLACE="K2"),
        ep("b", URN="SC111111", PLACE="K1"),
        ep("c", URN="1234567", PLACE="K1"),
        ep("d", URN="SC999999", PLACE="K2"),  # not listed: fails, as in the open validator
        ep("e", URN="XXXXXXX", PLACE="U1"),
    ]
    assert with_lists("219", episodes) == {("episodes", 2), ("episodes", 4)}


def test_224_provider_among_the_urns_provider_codes() -> None:
    episodes = [
        ep("a", URN="SC111111", PLACE_PROVIDER="PR2"),
        ep("b", URN="SC111111", PLACE_PROVIDER="PR3"),
        ep("c", URN="SC111111"),  # blank provider
        ep("d", URN="1234567", PLACE_PROVIDER="PR4"),
    ]
    assert with_lists("224", episodes) == {("episodes", 2), ("episodes", 3)}


def test_221_postcode_of_the_urn() -> None:
    episodes = [
        ep("a", URN="SC111111", PL_POST="tw9 1aa"),
        ep("b", URN="SC111111", PL_POST="TW10 6AA"),
        ep("c", URN="SC111111", PL_POST="TW10 6AA", LS="V3"),  # short break
        ep("d", URN="SC111111", PL_POST="TW10 6AA", PLACE="U1"),  # not a checked type
        ep("e", URN="SC111111", PLACE="K3"),  # no PL_POST
        ep("f", URN="SC111111", PLACE="K3", PL_POST="TW10 6AA"),  # K3 checked from 2024-25
    ]
    assert with_lists("221", episodes) == {("episodes", 2), ("episodes", 6)}
    assert with_lists("221", episodes, OLD) == {("episodes", 2)}


def test_227_and_228_registration_ended() -> None:
    episodes = [
        ep("a", URN="SC222222", DECOM="29/09/2024", DEC="30/09/2024"),  # passes both
        ep("b", URN="SC222222", DECOM="30/09/2024", DEC="01/10/2024"),  # fails both
        ep("c", URN="SC222222", DECOM="01/06/2024"),  # open at 31 March: 228 fails
        ep("d", URN="SC111111", DECOM="01/06/2024"),  # still registered
    ]
    assert with_lists("227", episodes) == {("episodes", 2)}
    assert with_lists("228", episodes) == {("episodes", 2), ("episodes", 3)}


def test_229_provider_authority_from_its_postcode() -> None:
    episodes = [
        ep("a", URN="SC111111", PLACE_PROVIDER="PR1"),  # provider in Richmond: passes
        ep("b", URN="SC111111", PLACE_PROVIDER="PR2"),  # another LA's, but in Richmond
        ep("c", URN="SC222222", PLACE_PROVIDER="PR1"),  # own provision, in Kent
        ep("d", URN="SC222222", PLACE_PROVIDER="PR2"),  # another LA's, in Kent: passes
        ep("e", URN="1234567", PLACE_PROVIDER="PR1"),  # postcode unknown: not judged
        ep("f", URN="SC999999", PLACE_PROVIDER="PR1"),  # not listed: 1008's finding
    ]
    assert with_lists("229", episodes) == {("episodes", 2), ("episodes", 3)}


@pytest.mark.parametrize("code", ["219", "221", "224", "227", "228", "1008"])
def test_rules_needing_the_lists_say_so(code: str) -> None:
    decided = plan(Y, {"episodes"}, has_previous=False, has_la_code=True, codes={code})
    assert not decided.run
    assert "--providers" in decided.not_run[0].reason
