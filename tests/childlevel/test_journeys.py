"""Journeys: Kaplan–Meier against a textbook example, linking across returns, censoring,
disclosure, and the JSON round trip of the results."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from cscwatch.childlevel.cin.journeys import (
    JourneyModel,
    JourneyResults,
    journey_data,
    kaplan_meier,
)
from cscwatch.childlevel.cin.store import load_cin_census
from cscwatch.childlevel.pseudonym import Pseudonymiser
from cscwatch.core.config import Settings
from cscwatch.core.errors import InputError

# Freireich et al. (1963), 6-MP arm: remission times in weeks, 0 = censored. The
# Kaplan–Meier table and Greenwood standard errors are those printed in Klein &
# Moeschberger, *Survival Analysis* (2nd ed.), and Collett, *Modelling Survival Data in
# Medical Research*, for this data.
SIX_MP = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
SIX_MP_EVENT = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
TEXTBOOK = {  # time: (S(t), Greenwood SE)
    6: (0.857, 0.076),
    7: (0.807, 0.087),
    10: (0.753, 0.096),
    13: (0.690, 0.107),
    16: (0.627, 0.114),
    22: (0.538, 0.128),
    23: (0.448, 0.135),
}


def test_kaplan_meier_matches_the_textbook() -> None:
    km = kaplan_meier(np.array(SIX_MP, float), np.array(SIX_MP_EVENT, bool))
    at = km.at(list(TEXTBOOK))
    assert np.round(at["survival"], 3).tolist() == [s for s, _ in TEXTBOOK.values()]
    assert np.round(at["se"], 3).tolist() == [se for _, se in TEXTBOOK.values()]
    assert km.n == 21 and km.n_events == 9
    # Risk sets: 21 at week 6, 17 at week 7, 15 at week 10.
    assert at["at_risk"].tolist()[:3] == [21, 17, 15]


def test_kaplan_meier_agrees_with_statsmodels_and_log_log_limits() -> None:
    from statsmodels.duration.survfunc import SurvfuncRight

    t, e = np.array(SIX_MP, float), np.array(SIX_MP_EVENT, bool)
    km = kaplan_meier(t, e)
    sf = SurvfuncRight(t, e.astype(int))
    mask = km.events > 0
    assert np.allclose(km.survival[mask], sf.surv_prob)
    assert np.allclose(km.se[mask], sf.surv_prob_se)
    # log-log limits at week 6 by hand: S=18/21, V=3/(21*18).
    s, v = 18 / 21, 3 / (21 * 18)
    half = 1.959963984540054 * np.sqrt(v) / abs(np.log(s))
    lo, hi = np.exp(-np.exp(np.log(-np.log(s)) + half)), np.exp(-np.exp(np.log(-np.log(s)) - half))
    assert km.lower[0] == pytest.approx(lo) and km.upper[0] == pytest.approx(hi)
    assert lo < s < hi


def test_kaplan_meier_edge_cases() -> None:
    none = kaplan_meier(np.array([5.0, 9.0]), np.array([False, False]))
    assert none.survival.tolist() == [1.0, 1.0] and none.lower.tolist() == [1.0, 1.0]
    empty = kaplan_meier(np.array([]), np.array([], bool))
    assert empty.n == 0 and np.isnan(empty.at([30])["survival"]).all()
    with pytest.raises(InputError):
        kaplan_meier(np.array([-1.0]), np.array([True]))


_HEADER = """<?xml version="1.0" encoding="utf-8"?>
<Message><Header><CollectionDetails><Collection>CIN</Collection><Year>{y}</Year>
<ReferenceDate>{y}-03-31</ReferenceDate></CollectionDetails><Source><SourceLevel>L
</SourceLevel><LEA>841</LEA><SoftwareCode>tests</SoftwareCode><Release>1</Release>
<SerialNo>1</SerialNo><DateTime>{y}-05-01T09:00:00</DateTime></Source></Header>
<Children>{kids}</Children></Message>"""


def _kid(cid: str, eps: str, birth: str = "2015-01-01") -> str:
    return (
        f"<Child><ChildIdentifiers><LAchildID>{cid}</LAchildID><PersonBirthDate>{birth}"
        "</PersonBirthDate><Sex>M</Sex></ChildIdentifiers><ChildCharacteristics><Ethnicity>"
        f"WBRI</Ethnicity></ChildCharacteristics>{eps}</Child>"
    )


def _ep(ref: str, close: str = "", need: str = "N1", cpp: tuple[str, str] | None = None) -> str:
    c = f"<CINclosureDate>{close}</CINclosureDate><ReasonForClosure>RC7</ReasonForClosure>"
    p = ""
    if cpp:
        end = f"<CPPendDate>{cpp[1]}</CPPendDate>" if cpp[1] else ""
        p = (f"<ChildProtectionPlans><CPPstartDate>{cpp[0]}</CPPstartDate>{end}"
             "<NumberOfPreviousCPP>0</NumberOfPreviousCPP></ChildProtectionPlans>")  # fmt: skip
    return (
        f"<CINdetails><CINreferralDate>{ref}</CINreferralDate><PrimaryNeedCode>{need}"
        f"</PrimaryNeedCode>{c if close else ''}<ReferralNFA>false</ReferralNFA>{p}</CINdetails>"
    )


@pytest.fixture()
def two_years(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    # A: closed 20 Feb 2024, re-referred 10 Apr 2024 (50 days). B: closed 1 Mar 2024, not
    # seen again (censored at the last reference date, 31 Mar 2025: 395 days). C: plan
    # ended 1 Jan 2024, new plan 1 Jul 2024 (182 days); the 2023 episode repeats in both
    # returns and is kept once. D: 17 on closure, censored at 18 (2024-06-01).
    y24 = _HEADER.format(y=2024, kids="".join([
        _kid("A", _ep("2024-01-05", "2024-02-20")),
        _kid("B", _ep("2023-09-01", "2024-03-01", need="N5")),
        _kid("C", _ep("2023-06-01", cpp=("2023-07-01", "2024-01-01"))),
        _kid("D", _ep("2023-05-01", "2024-02-01"), birth="2006-06-01"),
    ]))  # fmt: skip
    y25 = _HEADER.format(y=2025, kids="".join([
        _kid("A", _ep("2024-04-10")),
        _kid("C", _ep("2023-06-01", cpp=("2024-07-01", ""))),
    ]))  # fmt: skip
    con = duckdb.connect()
    key = Pseudonymiser(b"journeys-test-key")
    for name, text in (("y24.xml", y24), ("y25.xml", y25)):
        (tmp_path / name).write_text(text, encoding="utf-8")
        load_cin_census(con, tmp_path / name, Settings(), pseudonymiser=key)
    return con


def test_spells_link_children_across_returns(two_years: duckdb.DuckDBPyConnection) -> None:
    data = journey_data(two_years)
    sp = data.spells.assign(start=lambda f: f["start"].astype(str))
    rr = sp[sp["event"] == "rereferral"].set_index("start")
    assert rr.loc["2024-02-20", ["duration", "observed"]].to_numpy().tolist() == [50.0, True]
    need = rr.loc["2024-03-01", ["duration", "observed", "need"]].to_numpy().tolist()
    assert need == [395.0, False, "N5"]
    assert rr.loc["2024-02-01", ["duration", "observed"]].to_numpy().tolist() == [121.0, False]
    rp = sp[sp["event"] == "repeat_plan"]
    assert rp[["duration", "observed"]].values.tolist() == [[182.0, True]]
    assert data.returns == 2 and data.children == 4
    # A's timeline across both returns, in order.
    ids = data.timeline["child_id"].unique()
    a = next(
        g
        for _, g in data.timeline.groupby("child_id")
        if "2024-04-10" in g["date"].astype(str).values
    )
    assert a["event"].tolist() == ["referral", "closure", "referral"]
    assert len(ids) == 4


def test_model_results_disclosure_and_json_round_trip(
    two_years: duckdb.DuckDBPyConnection,
) -> None:
    res = JourneyModel(journey_data(two_years), groups=["need", "age"]).fit()
    frame = res.to_frame([30, 91])
    all_rr = frame[(frame["event"] == "rereferral") & (frame["group"] == "all")]
    # Three spells at risk: shown as c, and so is the estimate made from them.
    assert all_rr["at_risk"].tolist() == ["c", "c"]
    assert all_rr["survival"].tolist() == ["c", "c"]
    assert "c" in res.summary or "suppressed" in res.summary
    back = JourneyResults.from_json(res.to_json())
    pd.testing.assert_frame_equal(back.curves, res.curves)
    pd.testing.assert_frame_equal(back.cohorts, res.cohorts)
    pd.testing.assert_frame_equal(back.to_frame(), res.to_frame())
    assert back.groups == res.groups and back.n_spells == res.n_spells
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(res, "n_spells", 0)  # noqa: B010 (a frozen dataclass must refuse)


def test_large_groups_are_shown_and_grouping_is_checked() -> None:
    from cscwatch.childlevel.cin.journeys import JourneyData

    rng = np.random.default_rng(0)
    n = 400
    spells = pd.DataFrame(
        {
            "event": "rereferral",
            "la_code": "841",
            "child_id": [f"c{i}" for i in range(n)],
            "start": pd.Timestamp("2023-06-01").date(),
            "duration": rng.exponential(400, n).round(),
            "observed": rng.random(n) < 0.7,
            "need": rng.choice(["N1", "N5"], n),
            "age_band": "5 to 9",
            "cohort": 2024,
            "followed_12m": True,
        }
    )
    res = JourneyModel(JourneyData(spells, n, 3), groups=["need"]).fit()
    frame = res.to_frame([365])
    row = frame[(frame["group"] == "all") & (frame["event"] == "rereferral")].iloc[0]
    km = kaplan_meier(spells["duration"].to_numpy(), spells["observed"].to_numpy())
    assert row["survival"] == pytest.approx(float(km.at([365])["survival"].iloc[0]), abs=1e-4)
    assert set(frame[frame["event"] == "rereferral"]["group"]) == {"all", "need=N1", "need=N5"}
    empty = frame[frame["event"] == "repeat_plan"].iloc[0]
    assert empty["at_risk"] == 0 and pd.isna(empty["survival"])
    cohort = res.cohorts[res.cohorts["event"] == "rereferral"].iloc[0]
    assert cohort["spells"] == n and isinstance(cohort["percent"], float)
    with pytest.raises(InputError):
        JourneyModel(JourneyData(spells, n, 3), groups=["colour"])
