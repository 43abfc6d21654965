"""SSDA903 rules 101-199: a return built to break each rule and a near miss beside it.

Each case is one small return; ``expected`` is exactly the (table, row) pairs the rule
must flag, so a near miss is a record that must NOT be among them. Collection year
2024-25 (1 April 2024 to 31 March 2025) unless a case says otherwise.
"""

from __future__ import annotations

from typing import Any

import pytest
from rulekit import failures

Case = tuple[str, str, dict[str, Any], dict[str, Any] | None, set[tuple[str, int]]]

Y = "lac2024_25"
OLD = "lac2022_23"
# A child looked after since 2020 and still in care: looked after continuously for 12
# months at 31 March 2025.
CLA_EP = {"CHILD": "a", "DECOM": "01/01/2020", "RNE": "S", "LS": "C2", "PLACE": "U1"}
# A child who entered care in the year: not looked after continuously.
NEW_EP = {"CHILD": "b", "DECOM": "01/06/2024", "RNE": "S", "LS": "C2", "PLACE": "U1"}
OC2_FULL = {
    "CONVICTED": "0", "HEALTH_CHECK": "1", "IMMUNISATIONS": "1", "TEETH_CHECK": "1",
    "HEALTH_ASSESSMENT": "1", "SUBSTANCE_MISUSE": "0",
}  # fmt: skip
AD1_FULL = {
    "DATE_INT": "01/01/2024", "DATE_MATCH": "01/02/2024", "FOSTER_CARE": "0",
    "NB_ADOPTR": "1", "SEX_ADOPTR": "F1", "LS_ADOPTR": "L0",
}  # fmt: skip
OC3_FULL = {"IN_TOUCH": "YES", "ACTIV": "F1", "ACCOM": "B1"}


def h(child: str, **kw: str) -> dict[str, str]:
    return {"CHILD": child, **kw}


CASES: list[Case] = [
    # 101: sex codes by year.
    (
        "101",
        Y,
        {"header": [h("a", SEX="M"), h("b", SEX="U"), h("c", SEX="1"), h("d")]},
        None,
        {("header", 3), ("header", 4)},
    ),
    (
        "101",
        OLD,
        {"header": [h("a", SEX="1"), h("b", SEX="2"), h("c", SEX="M")]},
        None,
        {("header", 3)},
    ),
    # 102: blank and impossible dates fail, 29 Feb of a leap year passes.
    (
        "102",
        Y,
        {
            "header": [
                h("a", DOB="29/02/2012"),
                h("b", DOB="29/02/2013"),
                h("c"),
                h("d", DOB="01/01/19"),
                h("e", DOB="1/1/2019"),
            ]
        },
        None,
        {("header", 2), ("header", 3), ("header", 4)},
    ),
    (
        "104",
        Y,
        {"uasc": [h("a", DUC="01/04/2024"), h("b", DUC="31/03/2024"), h("c", DUC="x"), h("d")]},
        None,
        {("uasc", 2), ("uasc", 3)},
    ),
    (
        "112",
        Y,
        {"ad1": [h("a", DATE_INT="31/04/2024"), h("b", DATE_INT="30/04/2024"), h("c")]},
        None,
        {("ad1", 1)},
    ),
    (
        "113",
        Y,
        {"ad1": [h("a", DATE_MATCH="2024-05-01"), h("b", DATE_MATCH="01/05/2024")]},
        None,
        {("ad1", 1)},
    ),
    (
        "114",
        Y,
        {"ad1": [h("a", FOSTER_CARE="2"), h("b", FOSTER_CARE="1"), h("c")]},
        None,
        {("ad1", 1)},
    ),
    (
        "115",
        Y,
        {
            "placed_for_adoption": [
                h("a", DATE_PLACED="00/01/2024"),
                h("b", DATE_PLACED="01/01/2024"),
            ]
        },
        None,
        {("placed_for_adoption", 1)},
    ),
    (
        "116",
        Y,
        {
            "placed_for_adoption": [
                h("a", DATE_PLACED_CEASED="1/13/2024"),
                h("b", DATE_PLACED_CEASED="13/1/2024"),
            ]
        },
        None,
        {("placed_for_adoption", 1)},
    ),
    # 117: after 31 March, or after the latest episode's DEC (X1 episodes skipped).
    (
        "117",
        Y,
        {
            "episodes": [
                {"CHILD": "a", "DECOM": "01/01/2024", "DEC": "01/06/2024", "REC": "E11"},
                {"CHILD": "b", "DECOM": "01/01/2024", "DEC": "01/06/2024", "REC": "X1"},
                {"CHILD": "b", "DECOM": "01/06/2024"},
            ],
            "placed_for_adoption": [
                h("a", DATE_PLACED="02/06/2024"),
                h("b", DATE_PLACED="02/06/2024"),
                h("c", DATE_PLACED="01/04/2025"),
                h("d", DATE_PLACED="31/03/2025"),
            ],
        },
        None,
        {("placed_for_adoption", 1), ("episodes", 1), ("placed_for_adoption", 3)},
    ),
    (
        "117",
        Y,
        {
            "episodes": [{"CHILD": "a", "DECOM": "01/01/2024", "DEC": "01/06/2024", "REC": "E11"}],
            "placed_for_adoption": [
                h("a", DATE_PLACED="01/06/2024", DATE_PLACED_CEASED="01/06/2024")
            ],
        },
        None,
        set(),
    ),
    # 118: before 1 April, or before the earliest non-V3/V4 episode.
    (
        "118",
        Y,
        {
            "episodes": [
                {"CHILD": "a", "DECOM": "01/03/2024", "LS": "V3"},
                {"CHILD": "a", "DECOM": "01/05/2024", "LS": "C2"},
                {"CHILD": "b", "DECOM": "01/05/2024", "LS": "C2"},
            ],
            "placed_for_adoption": [
                h("a", DATE_PLACED_CEASED="30/04/2024"),
                h("b", DATE_PLACED_CEASED="01/05/2024"),
                h("c", DATE_PLACED_CEASED="31/03/2024"),
            ],
        },
        None,
        {("placed_for_adoption", 1), ("episodes", 2), ("placed_for_adoption", 3)},
    ),
    (
        "119",
        Y,
        {
            "placed_for_adoption": [
                h("a", DATE_PLACED_CEASED="01/05/2024"),
                h("b", REASON_PLACED_CEASED="RD1"),
                h("c", DATE_PLACED_CEASED="01/05/2024", REASON_PLACED_CEASED="RD1"),
                h("d"),
            ]
        },
        None,
        {("placed_for_adoption", 1), ("placed_for_adoption", 2)},
    ),
    (
        "120",
        Y,
        {
            "placed_for_adoption": [
                h("a", REASON_PLACED_CEASED="RD5"),
                h("b", REASON_PLACED_CEASED="RD4"),
                h("c"),
            ]
        },
        None,
        {("placed_for_adoption", 1)},
    ),
    (
        "131",
        Y,
        {"oc3": [h("a", IN_TOUCH="yes"), h("b", IN_TOUCH="RHOM"), h("c")]},
        None,
        {("oc3", 1), ("oc3", 3)},
    ),
    (
        "132",
        Y,
        {"oc3": [h("a", ACTIV="F3"), h("b", ACTIV="0"), h("c", ACTIV="G6")]},
        None,
        {("oc3", 1)},
    ),
    (
        "133",
        Y,
        {"oc3": [h("a", ACCOM="S1"), h("b", ACCOM="S2"), h("c")]},
        None,
        {("oc3", 1), ("oc3", 3)},
    ),
    (
        "134",
        Y,
        {
            "ad1": [h("a", DATE_INT="01/01/2024"), h("b", DATE_INT="01/01/2024"), h("c")],
            "oc3": [h("a", IN_TOUCH="YES"), h("b"), h("c", IN_TOUCH="YES")],
        },
        None,
        {("ad1", 1)},
    ),
    (
        "141",
        Y,
        {"episodes": [h("a", DECOM="32/01/2024"), h("b"), h("c", DECOM="31/01/2024")]},
        None,
        {("episodes", 1), ("episodes", 2)},
    ),
    # 142: the earlier of two episodes left open; the latest may be open.
    (
        "142",
        Y,
        {
            "episodes": [
                h("a", DECOM="01/01/2024"),
                h("a", DECOM="01/02/2024"),
                h("b", DECOM="01/01/2024", DEC="01/02/2024", REC="X1"),
                h("b", DECOM="01/02/2024"),
                h("c", DECOM="01/01/2024", DEC="01/02/2024"),
                h("c", DECOM="01/02/2024"),
            ]
        },
        None,
        {("episodes", 1), ("episodes", 5)},
    ),
    ("143", Y, {"episodes": [h("a", RNE="X"), h("b", RNE="B"), h("c")]}, None, {("episodes", 1)}),
    ("144", Y, {"episodes": [h("a", LS="C3"), h("b", LS="L3")]}, None, {("episodes", 1)}),
    ("145", Y, {"episodes": [h("a", CIN="N9"), h("b", CIN="N8")]}, None, {("episodes", 1)}),
    # 146: K3 valid from 2024-25, Z1 withdrawn in 2025-26.
    ("146", OLD, {"episodes": [h("a", PLACE="K3"), h("b", PLACE="Z1")]}, None, {("episodes", 1)}),
    (
        "146",
        Y,
        {"episodes": [h("a", PLACE="K3"), h("b", PLACE="Z11"), h("c", PLACE="k3")]},
        None,
        {("episodes", 2), ("episodes", 3)},
    ),
    (
        "146",
        "lac2025_26",
        {"episodes": [h("a", PLACE="Z1"), h("b", PLACE="Z11"), h("c", PLACE="H5")]},
        None,
        {("episodes", 1), ("episodes", 3)},
    ),
    (
        "147",
        Y,
        {"episodes": [h("a", DEC="31/09/2024"), h("b", DEC="30/09/2024"), h("c")]},
        None,
        {("episodes", 1)},
    ),
    (
        "148",
        Y,
        {
            "episodes": [
                h("a", DEC="01/05/2024"),
                h("b", REC="E11"),
                h("c", DEC="01/05/2024", REC="E11"),
                h("d"),
            ]
        },
        None,
        {("episodes", 1), ("episodes", 2)},
    ),
    ("149", Y, {"episodes": [h("a", REC="E4"), h("b", REC="E4A")]}, None, {("episodes", 1)}),
    (
        "151",
        Y,
        {"ad1": [{**h("a"), **AD1_FULL, "LS_ADOPTR": None}, {**h("b"), **AD1_FULL}, h("c")]},
        None,
        {("ad1", 1)},
    ),
    (
        "153",
        Y,
        {"oc3": [h("a", IN_TOUCH="YES", ACTIV="F1"), {**h("b"), **OC3_FULL}, h("c")]},
        None,
        {("oc3", 1)},
    ),
    # 157: SDQ1 (too young or too old) for a child aged 4 to 16.
    (
        "157",
        Y,
        {
            "episodes": [CLA_EP, {**CLA_EP, "CHILD": "b"}, {**CLA_EP, "CHILD": "c"}],
            "oc2": [
                h("a", DOB="01/04/2020", SDQ_REASON="SDQ1"),
                h("b", DOB="02/04/2020", SDQ_REASON="SDQ1"),
                h("c", DOB="01/04/2008", SDQ_REASON="SDQ1"),
            ],
        },
        None,
        {("oc2", 1), ("oc2", 3)},
    ),
    (
        "157",
        Y,
        {
            "episodes": [CLA_EP, NEW_EP],
            "oc2": [
                h("a", DOB="31/03/2008", SDQ_REASON="SDQ1"),
                h("b", DOB="01/01/2015", SDQ_REASON="SDQ1"),
            ],
        },
        None,
        set(),
    ),
    (
        "158",
        Y,
        {
            "oc2": [
                h("a", INTERVENTION_RECEIVED="1", INTERVENTION_OFFERED="1"),
                h("b", INTERVENTION_RECEIVED="1"),
                h("c", INTERVENTION_RECEIVED="0", INTERVENTION_OFFERED="1"),
            ]
        },
        None,
        {("oc2", 1)},
    ),
    (
        "159",
        Y,
        {
            "oc2": [
                h("a", SUBSTANCE_MISUSE="1", INTERVENTION_RECEIVED="0"),
                h("b", SUBSTANCE_MISUSE="1", INTERVENTION_RECEIVED="0", INTERVENTION_OFFERED="0"),
                h("c", SUBSTANCE_MISUSE="1", INTERVENTION_RECEIVED="1"),
            ]
        },
        None,
        {("oc2", 1)},
    ),
    # 165 (2024-25 codes): mother status for girls, never for boys.
    (
        "165",
        Y,
        {
            "header": [
                h("a", SEX="F"),
                h("b", SEX="M", MOTHER="0"),
                h("c", SEX="F", MOTHER="2"),
                h("d", SEX="F", MOTHER="1"),
                h("e", SEX="F"),
                h("f", SEX="F"),
            ],
            "episodes": [
                h("a", DECOM="01/01/2024"),
                h("d", DECOM="01/01/2024"),
                h("f", DECOM="01/01/2022", DEC="01/01/2023", REC="E8"),
            ],
            "oc3": [h("e", **OC3_FULL)],
        },
        None,
        {("header", 1), ("header", 2), ("header", 3), ("header", 6)},
    ),
    (
        "165",
        OLD,
        {
            "header": [h("a", SEX="1", MOTHER="1"), h("b", SEX="2", MOTHER="0")],
            "episodes": [h("a", DECOM="01/01/2022"), h("b", DECOM="01/01/2022")],
            "oc3": [h("a", **OC3_FULL)],
        },
        None,
        {("header", 1), ("oc3", 1)},
    ),
    (
        "166",
        Y,
        {"reviews": [h("a"), h("b", REVIEW="31/11/2024"), h("c", REVIEW="30/11/2024")]},
        None,
        {("reviews", 1), ("reviews", 2)},
    ),
    (
        "167",
        Y,
        {
            "reviews": [
                h("a", REVIEW="01/05/2024"),
                h("b", REVIEW_CODE="PN1"),
                h("c", REVIEW="01/05/2024", REVIEW_CODE="PN8"),
                h("d", REVIEW="01/05/2024", REVIEW_CODE="PN7"),
                h("e"),
            ]
        },
        None,
        {("reviews", 1), ("reviews", 2), ("reviews", 3)},
    ),
    (
        "168",
        Y,
        {
            "header": [
                h("a", UPN="A12345678901B"),
                h("b", UPN="I123456789012"),
                h("c", UPN="UN6"),
                h("d", UPN="T123456789012"),
                h("e", UPN="UN5"),
                h("f", UPN="a123456789012"),
                h("g"),
                h("h", UPN="0" * 64),
                h("i", UPN="A12345678901"),
            ]
        },
        None,
        # Case is ignored (row 6); 64 hex digits are no UPN (the shape is taken from the
        # value as read, before pseudonymising).
        {("header", 2), ("header", 3), ("header", 8), ("header", 9)},
    ),
    (
        "171",
        Y,
        {"header": [h("a", MC_DOB="29/02/2023"), h("b", MC_DOB="28/02/2023")]},
        None,
        {("header", 1)},
    ),
    # 174: old and new codes for male are read in every year.
    (
        "174",
        Y,
        {
            "header": [
                h("a", SEX="M", MC_DOB="01/01/2024"),
                h("b", SEX="F", MC_DOB="x"),
                h("c", SEX="1", MC_DOB="01/01/2024"),
                h("d", SEX="M"),
            ]
        },
        None,
        {("header", 1), ("header", 3)},
    ),
    (
        "174",
        OLD,
        {"header": [h("a", SEX="1", MC_DOB="01/01/2020"), h("b", SEX="2", MC_DOB="01/01/2020")]},
        None,
        {("header", 1)},
    ),
    ("175", Y, {"ad1": [h("a", NB_ADOPTR="3"), h("b", NB_ADOPTR="2")]}, None, {("ad1", 1)}),
    ("176", Y, {"ad1": [h("a", SEX_ADOPTR="M2"), h("b", SEX_ADOPTR="MF")]}, None, {("ad1", 1)}),
    ("177", Y, {"ad1": [h("a", LS_ADOPTR="L1"), h("b", LS_ADOPTR="L12")]}, None, {("ad1", 1)}),
    # 178: provider invalid, or given where no provider exists (T4 differs by year).
    (
        "178",
        Y,
        {
            "episodes": [
                h("a", PLACE="U1", PLACE_PROVIDER="PR6"),
                h("b", PLACE="T4", PLACE_PROVIDER="PR1"),
                h("c", PLACE="U1", PLACE_PROVIDER="PR5"),
                h("d", PLACE="T4"),
            ]
        },
        None,
        {("episodes", 1), ("episodes", 2)},
    ),
    (
        "178",
        "lac2025_26",
        {
            "episodes": [
                h("a", PLACE="Z12", PLACE_PROVIDER="PR1"),
                h("b", PLACE="T4", PLACE_PROVIDER="PR1"),
            ]
        },
        None,
        {("episodes", 1)},
    ),
    (
        "180",
        Y,
        {
            "oc2": [
                h("a", SDQ_SCORE="41"),
                h("b", SDQ_SCORE="40"),
                h("c", SDQ_SCORE="0"),
                h("d", SDQ_SCORE="x"),
                h("e", SDQ_SCORE="2.5"),
            ]
        },
        None,
        {("oc2", 1), ("oc2", 4), ("oc2", 5)},
    ),
    (
        "181",
        Y,
        {"oc2": [h("a", CONVICTED="2"), h("b", INTERVENTION_OFFERED="Y"), {**h("c"), **OC2_FULL}]},
        None,
        {("oc2", 1), ("oc2", 2)},
    ),
    (
        "182",
        Y,
        {
            "oc2": [
                {**h("a"), **OC2_FULL, "TEETH_CHECK": None},
                {**h("b"), **OC2_FULL},
                h("c", IMMUNISATIONS="1"),
                h("d", SDQ_SCORE="10"),
            ]
        },
        None,
        {("oc2", 1), ("oc2", 3)},
    ),
    (
        "184",
        Y,
        {
            "header": [h("a", DOB="02/01/2024"), h("b", DOB="01/01/2024")],
            "placed_for_adoption": [
                h("a", DATE_PLACED="01/01/2024"),
                h("b", DATE_PLACED="01/01/2024"),
            ],
        },
        None,
        {("placed_for_adoption", 1)},
    ),
    # 185, 190, 198: 12-month items for a child not continuously looked after.
    (
        "185",
        Y,
        {
            "episodes": [CLA_EP, NEW_EP],
            "oc2": [h("a", SDQ_SCORE="10"), h("b", SDQ_SCORE="10"), h("c", SDQ_SCORE="9"), h("b")],
        },
        None,
        {("oc2", 2), ("oc2", 3)},
    ),
    (
        "186",
        Y,
        {
            "episodes": [
                CLA_EP,
                {**CLA_EP, "CHILD": "b"},
                {**CLA_EP, "CHILD": "c"},
                {**CLA_EP, "CHILD": "d"},
            ],
            "oc2": [
                h("a", DOB="01/04/2020"),
                h("b", DOB="02/04/2020"),
                h("c", DOB="31/03/2008"),
                h("d", DOB="01/04/2010", SDQ_REASON="SDQ2"),
            ],
        },
        None,
        {("oc2", 1)},
    ),
    (
        "187",
        Y,
        {
            "episodes": [CLA_EP, NEW_EP],
            "oc3": [h("a", IN_TOUCH="YES"), h("b", IN_TOUCH="YES"), h("a")],
            "ad1": [h("a", NB_ADOPTR="1"), h("b", NB_ADOPTR="1")],
        },
        None,
        {("oc3", 1), ("ad1", 1)},
    ),
    (
        "188",
        Y,
        {
            "oc2": [
                h("a", DOB="01/04/2021", SDQ_REASON="SDQ1"),
                h("b", DOB="31/03/2021", SDQ_SCORE="3"),
                h("c", DOB="01/04/2021"),
            ]
        },
        None,
        {("oc2", 1)},
    ),
    # 189: 17th birthday before 1 April; on 1 April itself passes (197B asks that child
    # for an SDQ score or reason).
    (
        "189",
        Y,
        {
            "oc2": [
                h("a", DOB="31/03/2007", SDQ_SCORE="3"),
                h("b", DOB="01/04/2007", SDQ_SCORE="3"),
                h("c", DOB="02/04/2007", SDQ_REASON="SDQ1"),
                h("d", DOB="01/01/2005"),
            ]
        },
        None,
        {("oc2", 1)},
    ),
    (
        "190",
        Y,
        {
            "episodes": [CLA_EP, NEW_EP],
            "oc2": [h("a", CONVICTED="0"), h("b", CONVICTED="0"), h("b")],
        },
        None,
        {("oc2", 2)},
    ),
    (
        "191",
        Y,
        {
            "episodes": [
                CLA_EP,
                {**CLA_EP, "CHILD": "b"},
                {**CLA_EP, "CHILD": "b", "DECOM": "01/01/2019"},
                {**CLA_EP, "CHILD": "c"},
                {**NEW_EP, "CHILD": "e"},
            ],
            "oc2": [{**h("a"), **OC2_FULL, "SUBSTANCE_MISUSE": None}, {**h("c"), **OC2_FULL}],
        },
        None,
        {("oc2", 1), ("episodes", 3)},
    ),
    # A child who left care in the year is not continuously looked after.
    (
        "191",
        Y,
        {"episodes": [{**CLA_EP, "DEC": "01/03/2025", "REC": "E8"}], "oc2": []},
        None,
        set(),
    ),
    (
        "192",
        Y,
        {
            "oc2": [
                h("a", SUBSTANCE_MISUSE="1"),
                h("b", SUBSTANCE_MISUSE="1", INTERVENTION_RECEIVED="0"),
            ]
        },
        None,
        {("oc2", 1)},
    ),
    (
        "193",
        Y,
        {
            "oc2": [
                h("a", SUBSTANCE_MISUSE="0", INTERVENTION_OFFERED="1"),
                h("b", INTERVENTION_RECEIVED="1"),
                h("c", SUBSTANCE_MISUSE="1", INTERVENTION_RECEIVED="1"),
                h("d", SUBSTANCE_MISUSE="0"),
            ]
        },
        None,
        {("oc2", 1), ("oc2", 2)},
    ),
    ("196", Y, {"oc2": [h("a", SDQ_REASON="SDQ6"), h("b", SDQ_REASON="SDQ5")]}, None, {("oc2", 1)}),
    (
        "197B",
        Y,
        {
            "episodes": [
                CLA_EP,
                {**CLA_EP, "CHILD": "b"},
                {**CLA_EP, "CHILD": "c"},
                {**CLA_EP, "CHILD": "d"},
            ],
            "oc2": [
                h("a", DOB="31/03/2021"),
                h("b", DOB="01/04/2007"),
                h("c", DOB="31/03/2007"),
                h("d", DOB="01/04/2021", SDQ_SCORE="5"),
            ],
        },
        None,
        {("oc2", 1), ("oc2", 2)},
    ),
    (
        "197a",
        Y,
        {"oc2": [h("a", SDQ_SCORE="5", SDQ_REASON="SDQ1"), h("b", SDQ_SCORE="5")]},
        None,
        {("oc2", 1)},
    ),
    (
        "198",
        Y,
        {
            "episodes": [CLA_EP, NEW_EP],
            "oc2": [h("a", SDQ_REASON="SDQ1"), h("b", SDQ_REASON="SDQ1")],
        },
        None,
        {("oc2", 2)},
    ),
    # 199: last year's record of an episode carried into this year is replaced by this
    # year's (here this year says it ended E8, so nothing after it is flagged).
    (
        "199",
        Y,
        {
            "episodes": [
                h("a", DECOM="01/05/2023", DEC="01/06/2024", REC="E8"),
                h("a", DECOM="01/09/2024"),
            ]
        },
        {"episodes": [h("a", DECOM="01/05/2023", DEC="01/06/2024", REC="E11")]},
        set(),
    ),
    # 199: after an adoption (this year or last), further episodes are flagged.
    (
        "199",
        Y,
        {
            "episodes": [
                h("a", DECOM="01/05/2024", DEC="01/06/2024", REC="E11"),
                h("a", DECOM="01/09/2024"),
                h("b", DECOM="01/05/2024", DEC="01/06/2024", REC="E12"),
                h("c", DECOM="01/05/2024", DEC="01/06/2024", REC="E8"),
                h("c", DECOM="01/09/2024"),
            ]
        },
        {"episodes": [h("c", DECOM="01/05/2023", DEC="01/06/2023", REC="E11")]},
        {("episodes", 2), ("episodes", 4), ("episodes", 5)},
    ),
]


@pytest.mark.parametrize(
    ("code", "ruleset", "current", "previous", "expected"),
    CASES,
    ids=[f"{c[0]}-{c[1][3:]}-{n}" for n, c in enumerate(CASES)],
)
def test_rule_flags_exactly_the_broken_records(
    code: str,
    ruleset: str,
    current: dict[str, Any],
    previous: dict[str, Any] | None,
    expected: set[tuple[str, int]],
) -> None:
    assert failures(code, ruleset, current=current, previous=previous) == expected


def test_rule_164_distance_needs_known_postcodes() -> None:
    postcodes = {"AB1 2CD": (57.1, -2.1), "SW1A 1AA": (51.5, -0.14), "LS1 1AA": (53.8, -1.55)}
    current = {
        "episodes": [
            h("a", LS="C2", HOME_POST="LS1 1AA", PL_POST="ZZ9 9ZZ"),
            h("b", LS="C2", HOME_POST="ls11aa", PL_POST="SW1A 1AA"),
            h("c", LS="V3", HOME_POST="LS1 1AA", PL_POST="ZZ9 9ZZ"),
            h("d", LS="C2", HOME_POST="LS1 1AA", PL_POST="ZZ9 9ZZ"),
            h("e", LS="C2", PL_POST="SW1A 1AA"),
            h("f", LS="V4"),
        ],
        "uasc": [h("d")],
    }
    found = failures("164", current=current, postcodes=postcodes)
    assert found == {("episodes", 1), ("episodes", 5)}
    # Last year's UASC table also marks a child as (formerly) UASC.
    previous = {"uasc": [h("a"), h("e")]}
    assert failures("164", current=current, previous=previous, postcodes=postcodes) == set()


#: DOB -> (rules flagging an OC2 record with an SDQ score, rules flagging one without),
#: 2024-25, for a child looked after continuously: a 4th or 17th birthday on each side of
#: each end of the year.
SDQ_BOUNDARIES = {
    "31/03/2007": ({"189"}, set()),  # 17 on 31 March 2024: before the year
    "01/04/2007": (set(), {"197B"}),  # 17 on 1 April 2024: 17 in the year
    "31/03/2008": (set(), {"197B"}),  # 17 on 31 March 2025: 17 in the year
    "01/04/2008": (set(), set()),  # 17 on 1 April 2025: after the year
    "01/04/2020": (set(), {"197B"}),  # 4 on 1 April 2024: 4 in the year
    "31/03/2021": (set(), {"197B"}),  # 4 on 31 March 2025: 4 in the year
    "01/04/2021": ({"188"}, set()),  # 4 on 1 April 2025: under 4 on 31 March
}


@pytest.mark.parametrize("dob", list(SDQ_BOUNDARIES))
def test_the_sdq_age_rules_leave_a_valid_record_on_every_boundary(dob: str) -> None:
    """188, 189 and 197B together: on every boundary one of the two records (with an
    SDQ score, without) passes all three, so an authority can always make a valid one."""
    found = []
    for oc2 in (
        {**h("a", DOB=dob), **OC2_FULL, "SDQ_SCORE": "12"},
        {**h("a", DOB=dob), **OC2_FULL},
    ):
        current = {"episodes": [CLA_EP], "oc2": [oc2]}
        found.append({c for c in ("188", "189", "197B") if failures(c, Y, current=current)})
    assert tuple(found) == SDQ_BOUNDARIES[dob]
    assert set() in found


@pytest.mark.parametrize("code", ["169", "179"])
def test_rules_169_179_placement_postcode_must_resolve(code: str) -> None:
    postcodes = {"SW1A 1AA": (51.5, -0.14)}
    current = {
        "episodes": [
            h("a", LS="C2", PL_POST="ZZ9 9ZZ"),
            h("b", LS="C2", PL_POST="sw1a1aa"),
            h("c", LS="V4"),
            h("d", LS="C2"),
        ]
    }
    assert failures(code, current=current, postcodes=postcodes) == {
        ("episodes", 1),
        ("episodes", 4),
    }
