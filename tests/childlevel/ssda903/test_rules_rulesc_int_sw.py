"""Rules INT01-INT36, EPI, NoE and the social worker rules: a break and a near miss each.

Each case is a small return in which some records break the rule and others sit one
step away from breaking it (the boundary date, the other allowed code); the expected
set is exactly the records that break it.
"""

from __future__ import annotations

from typing import Any

import pytest
from rulekit import failures

from cscwatch.childlevel.ssda903.engine import plan
from cscwatch.childlevel.ssda903.rules import RULESETS, all_rules, catalogue, implementation
from cscwatch.childlevel.ssda903.tables import TABLES

Case = tuple[str, str, dict[str, Any], dict[str, Any] | None, set[tuple[str, int]]]

_IN_HEADER = {
    "INT01": "ad1",
    "INT02": "placed_for_adoption",
    "INT03": "episodes",
    "INT04": "missing",
    "INT05": "oc2",
    "INT06": "oc3",
    "INT07": "previous_permanence",
    "INT08": "reviews",
    "INT09": "uasc",
}
_SAME_DOB = {
    "INT11": "ad1",
    "INT12": "placed_for_adoption",
    "INT13": "missing",
    "INT14": "oc2",
    "INT15": "oc3",
    "INT16": "previous_permanence",
    "INT17": "reviews",
    "INT18": "uasc",
}
_ONCE = {
    "INT31": "ad1",
    "INT32": "header",
    "INT33": "oc2",
    "INT34": "oc3",
    "INT35": "previous_permanence",
    "INT36": "uasc",
}


def _sw(child: str, decom: str | None, dec: str | None = None, **kw: str | None) -> dict:
    """A social worker episode with an ID and a reason unless overridden."""
    return {"CHILD": child, "SW_ID": "SW1", "SW_REASON": "MANAGE"} | {
        "SW_DECOM": decom,
        "SW_DEC": dec,
        **kw,
    }


def _int_cases() -> list[Case]:
    cases: list[Case] = []
    for code, table in _IN_HEADER.items():
        # b has no header record; a has one; a blank CHILD matches nothing.
        current = {"header": [{"CHILD": "a"}], table: [{"CHILD": "a"}, {"CHILD": "b"}, {}]}
        cases.append((code, "lac2024_25", current, None, {(table, 2), (table, 3)}))
    for code, table in _SAME_DOB.items():
        # Same day written differently is no difference; one day apart is; a child with
        # no header record and an invalid date are not judged.
        current = {
            "header": [{"CHILD": "a", "DOB": "01/01/2010"}],
            table: [
                {"CHILD": "a", "DOB": "1/1/2010"},
                {"CHILD": "a", "DOB": "02/01/2010"},
                {"CHILD": "b", "DOB": "05/05/2005"},
                {"CHILD": "a", "DOB": "31/02/2010"},
            ],
        }
        cases.append((code, "lac2024_25", current, None, {(table, 2)}))
    for code, table in _ONCE.items():
        current = {table: [{"CHILD": "a"}, {"CHILD": "b"}, {"CHILD": "a"}, {}, {}]}
        cases.append((code, "lac2024_25", current, None, {(table, 1), (table, 3)}))
    cases.append(
        (
            "INT21",
            "lac2024_25",
            {
                "header": [{"CHILD": "a", "SEX": "1"}, {"CHILD": "b", "SEX": "M"}],
                "uasc": [{"CHILD": "a", "SEX": "M"}, {"CHILD": "b", "SEX": "F"}],
            },
            None,
            {("uasc", 2)},
        )
    )
    return cases


_EPI_NOE: list[Case] = [
    (
        "EPI",
        "lac2024_25",
        {
            "header": [{"CHILD": "a"}, {"CHILD": "b"}, {"CHILD": "c"}],
            "episodes": [{"CHILD": "a", "DECOM": "01/05/2024"}],
            "oc3": [{"CHILD": "b"}],
        },
        None,
        {("header", 3)},
    ),
    (
        "NoE",
        "lac2024_25",
        {
            "episodes": [
                {"CHILD": "a", "DECOM": "01/03/2024"},
                {"CHILD": "b", "DECOM": "31/03/2024"},
                {"CHILD": "c", "DECOM": "01/04/2024"},
            ]
        },
        {"episodes": [{"CHILD": "a", "DECOM": "01/03/2024"}]},
        {("episodes", 2)},
    ),
]

_SW: list[Case] = [
    (
        "SW01STG1",
        "lac2023_24",
        {
            "episodes": [
                {"CHILD": "a", "DECOM": "01/05/2023", "LS": "C2"},
                {"CHILD": "b", "DECOM": "01/05/2023", "LS": "C2"},
                {"CHILD": "c", "DECOM": "01/05/2023", "LS": "V3"},
                {"CHILD": "d", "DECOM": "01/05/2023", "DEC": "01/06/2023", "LS": "C2"},
            ],
            "sw_episodes": [_sw("a", "01/05/2023"), _sw("b", "01/05/2023", SW_REASON=None)],
        },
        None,
        {("episodes", 2)},
    ),
    (
        "SW02STG1",
        "lac2024_25",
        {
            "sw_episodes": [
                {"SW_ID": "SW12"},
                {"SW_ID": "XX1"},
                {"SW_ID": "sw1"},
                {"SW_ID": "AB1"},
                {"SW_ID": None},
            ]
        },
        None,
        {("sw_episodes", 3), ("sw_episodes", 4)},
    ),
    (
        "SW03STG1",
        "lac2023_24",
        {
            "sw_episodes": [
                _sw("a", "01/05/2023"),
                _sw("a", "01/06/2023", SW_ID=None),
                _sw("a", None),
                _sw("a", "01/07/2023", SW_REASON=None),
            ]
        },
        None,
        {("sw_episodes", 2), ("sw_episodes", 3), ("sw_episodes", 4)},
    ),
    (
        "SW01aSTG1",
        "lac2024_25",
        {
            "sw_episodes": [
                _sw("a", None),
                _sw("a", "31/03/2023", SW_ID=None, SW_REASON=None),
                _sw("a", "01/04/2023", SW_ID=None),
                _sw("a", "30/03/2023", SW_REASON=None),
            ]
        },
        None,
        {("sw_episodes", 1), ("sw_episodes", 2)},
    ),
    (
        "SW01bSTG1",
        "lac2024_25",
        {
            "sw_episodes": [
                _sw("a", None),
                _sw("a", "01/04/2023", SW_REASON=None),
                _sw("a", "31/03/2023", SW_REASON=None),
                _sw("a", "02/04/2023", SW_ID=None),
                _sw("a", "03/04/2023"),
            ]
        },
        None,
        {("sw_episodes", 1), ("sw_episodes", 2), ("sw_episodes", 4)},
    ),
    (
        "SW04STG1",
        "lac2024_25",
        {"sw_episodes": [_sw("a", "31/02/2024"), _sw("a", "29/02/2024"), _sw("a", None)]},
        None,
        {("sw_episodes", 1)},
    ),
    (
        "SW05STG1",
        "lac2024_25",
        {
            "sw_episodes": [
                _sw("a", "01/01/2024", "ZZ/03/2024"),
                _sw("a", "01/01/2024", "01/03/2024"),
                _sw("a", "01/01/2024"),
            ]
        },
        None,
        {("sw_episodes", 1)},
    ),
    (
        "SW06STG2",
        "lac2024_25",
        {"sw_episodes": [_sw("a", "01/04/2025"), _sw("b", "31/03/2025"), _sw("c", "01/01/2020")]},
        None,
        {("sw_episodes", 1)},
    ),
    (
        "SW07STG2",
        "lac2023_24",
        {
            "sw_episodes": [
                _sw("a", "01/01/2023", "31/03/2023"),
                _sw("b", "01/01/2023", "01/04/2023"),
                _sw("c", "01/01/2023", "31/03/2024"),
                _sw("d", "01/01/2023", "01/04/2024"),
            ]
        },
        None,
        {("sw_episodes", 1), ("sw_episodes", 4)},
    ),
    (
        "SW07STG2",
        "lac2024_25",
        {
            "sw_episodes": [
                _sw("a", "01/01/2023", "31/03/2023"),
                _sw("b", "01/01/2023", "01/04/2023"),
                _sw("c", "01/01/2023", "31/03/2025"),
                _sw("d", "01/01/2023", "01/04/2025"),
            ]
        },
        None,
        {("sw_episodes", 1), ("sw_episodes", 4)},
    ),
    (
        "SW08STG2",
        "lac2024_25",
        {
            "sw_episodes": [
                _sw("a", "01/05/2024"),
                _sw("a", "01/06/2024"),
                _sw("b", "01/05/2024", "31/05/2024"),
                _sw("b", "01/06/2024"),
            ]
        },
        None,
        {("sw_episodes", 1)},
    ),
    (
        "SW09STG2",
        "lac2024_25",
        {
            "sw_episodes": [
                _sw("a", "01/05/2024", "01/05/2024"),
                _sw("b", "01/05/2024", "02/05/2024"),
            ]
        },
        None,
        {("sw_episodes", 1)},
    ),
    (
        "SW10STG2",
        "lac2023_24",
        {
            "sw_episodes": [
                _sw("a", "01/05/2023", "01/07/2023"),
                _sw("a", "23/06/2023"),  # 8 days before the previous end
                _sw("b", "01/05/2023", "01/07/2023"),
                _sw("b", "24/06/2023"),  # 7 days before: allowed
                _sw("c", "01/05/2023", "01/07/2023"),
                _sw("c", "20/06/2023", SW_REASON="FCONTA"),
                _sw("d", "01/05/2023", "01/07/2023"),
                _sw("d", "01/09/2023"),  # a gap, not an overlap
            ]
        },
        None,
        {("sw_episodes", 2), ("sw_episodes", 6)},
    ),
    (
        "SW10STG2",
        "lac2024_25",
        {
            "sw_episodes": [
                _sw("a", "01/05/2024", "01/07/2024"),
                _sw("a", "23/06/2024"),
                _sw("b", "01/05/2024", "01/07/2024"),
                _sw("b", "24/06/2024"),
                _sw("c", "01/05/2024", "01/07/2024"),
                _sw("c", "20/06/2024", SW_REASON="FCONTA"),
            ]
        },
        None,
        {("sw_episodes", 2)},
    ),
    (
        "SW11aSTG2",
        "lac2023_24",
        {
            "sw_episodes": [
                _sw("a", "01/05/2023", "01/10/2023"),
                _sw("b", "01/05/2023", "01/10/2023"),
                _sw("b", "06/10/2023"),
                _sw("c", "01/05/2023", "27/03/2024"),
                _sw("d", "01/05/2023", "26/03/2024"),
            ]
        },
        None,
        {("sw_episodes", 1), ("sw_episodes", 5)},
    ),
    (
        "SW11bSTG2",
        "lac2024_25",
        {
            "sw_episodes": [
                _sw("a", "01/05/2024", "26/03/2025"),
                _sw("b", "01/05/2024", "25/03/2025"),
                _sw("c", "01/05/2024", "28/03/2025"),
                _sw("c", "28/03/2025"),
                _sw("d", "01/05/2024", "31/03/2025"),
            ]
        },
        None,
        {("sw_episodes", 1), ("sw_episodes", 5)},
    ),
    (
        "SW12STG2",
        "lac2024_25",
        {
            "episodes": [
                {"CHILD": "a", "DECOM": "01/01/2020", "LS": "C2"},
                {"CHILD": "b", "DECOM": "01/06/2024", "LS": "C2"},
                {"CHILD": "c", "DECOM": "01/06/2024", "LS": "C2"},
                {"CHILD": "d", "DECOM": "01/06/2024", "DEC": "01/07/2024", "LS": "C2"},
                {"CHILD": "e", "DECOM": "01/01/2020", "LS": "C2"},
                {"CHILD": "f", "DECOM": "01/06/2024", "LS": "C2"},
            ],
            "sw_episodes": [
                _sw("a", "02/04/2024"),  # a day short of the year
                _sw("b", "01/06/2024"),  # entered care in June: the spring is missing
                _sw("d", "01/07/2024"),  # not looked after at 31 March
                _sw("e", "01/04/2024"),  # covers the year
                _sw("f", "01/06/2024", SW_REASON="FCONTA"),  # first contact in June
            ],
        },
        None,
        {("sw_episodes", 1), ("sw_episodes", 2), ("episodes", 3)},
    ),
    (
        "SW13STG1",
        "lac2023_24",
        {
            "sw_episodes": [
                _sw("a", "01/05/2023"),
                _sw("a", "01/06/2023", SW_REASON="manage"),
                _sw("a", "01/07/2023", SW_REASON=None),
            ]
        },
        None,
        {("sw_episodes", 2), ("sw_episodes", 3)},
    ),
    (
        "SW13STG1",
        "lac2024_25",
        {
            "sw_episodes": [
                _sw("a", "01/05/2024"),
                _sw("a", "01/06/2024", SW_REASON="manage"),
                _sw("a", "01/07/2024", SW_REASON=None),
            ]
        },
        None,
        {("sw_episodes", 2)},
    ),
    (
        "SW14STG2",
        "lac2023_24",
        {
            "sw_episodes": [
                _sw("a", "01/05/2023"),
                _sw("a", "01/06/2023"),
                _sw("b", "01/05/2023"),
            ]
        },
        None,
        {("sw_episodes", 1)},
    ),
    (
        "SW17STG2",
        "lac2025_26",
        {
            "sw_episodes": [
                _sw("a", "01/05/2025", "01/06/2025"),
                _sw("a", "01/06/2025", "01/07/2025"),
                _sw("b", "01/05/2025", "01/06/2025"),
                _sw("b", "01/06/2025"),
            ]
        },
        None,
        {("sw_episodes", 2)},
    ),
]

CASES = _int_cases() + _EPI_NOE + _SW


@pytest.mark.parametrize(
    ("code", "ruleset", "current", "previous", "expected"),
    CASES,
    ids=[f"{c[0]}-{c[1]}" for c in CASES],
)
def test_rule_breaks_and_near_misses(
    code: str,
    ruleset: str,
    current: dict[str, Any],
    previous: dict[str, Any] | None,
    expected: set[tuple[str, int]],
) -> None:
    assert failures(code, ruleset, current=current, previous=previous) == expected


def _mine(code: str) -> bool:
    return (
        (len(code) >= 3 and code[0] == "5" and code[:3].isdigit())
        or code.startswith(("INT", "SW"))
        or code in {"EPI", "NoE"}
    )


@pytest.mark.parametrize("ruleset", RULESETS)
def test_every_rule_in_range_is_implemented_or_says_why_not(ruleset: str) -> None:
    codes = {e.code for e in catalogue(ruleset) if _mine(e.code)}
    decided = plan(ruleset, set(TABLES), has_previous=True, has_postcodes=True)
    ran = {e.code for e, _ in decided.run}
    not_run = {n.code: n.reason for n in decided.not_run if n.code in codes}
    # PL_LOCATION (IN or OUT) is relative to the placing authority, given with --la-code.
    assert not_run == {"503J": "needs the submitting authority's own code (give it with --la-code)"}
    assert codes - {"503J"} <= ran


def test_every_implementation_has_its_own_case() -> None:
    from test_rules_rulesc_500s import ALL_CASES

    # 503H and 503J: cases in test_rules_placing (they need PL_LA).
    tested = {(c[0], c[1]) for c in CASES + ALL_CASES} | {
        ("503G", "lac2024_25"),
        ("503H", "lac2024_25"),
        ("503J", "lac2024_25"),
    }
    untested = [
        (r.code, r.ruleset)
        for r in all_rules()
        if _mine(r.code)
        and not any(code == r.code and implementation(code, y) == r for code, y in tested)
    ]
    assert untested == []
