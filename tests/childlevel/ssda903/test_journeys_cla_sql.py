"""SSDA903 journeys counted in the database give exactly the results of the per-child fit.

Held to the reference fit (``tests/journeys_reference.py``) on the hand-built returns of
``test_journeys_cla``, with and without CIN returns (the referral-to-care clock), and on
the shared SSDA903 sample.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
from rulekit import frames
from test_journeys_cla import RETURN_2024, RETURN_2025

from cscwatch.childlevel.pseudonym import Pseudonymiser
from cscwatch.childlevel.ssda903.journeys import (
    CLA_EVENTS,
    ClaJourneyModel,
    cla_journey_counts,
    cla_journey_data,
)
from cscwatch.childlevel.ssda903.reader import read_return
from cscwatch.childlevel.ssda903.store import ReturnYear, load_returns
from cscwatch.core.database import connect_duckdb
from journeys_reference import reference_fit, same_results


def _cla(con: duckdb.DuckDBPyConnection, groups: list[str]) -> None:
    data = cla_journey_data(con)
    curves, cohorts = reference_fit(
        data.spells, CLA_EVENTS,
        {g: {"age": "age_band", "placement": "placement"}[g] for g in groups},
        skip_empty=("referral_to_care",), per_event_relations=True,
    )  # fmt: skip
    res = ClaJourneyModel(cla_journey_counts(con), groups=groups).fit()
    same_results(res, curves, cohorts)
    assert (res.n_spells, res.n_children, res.n_returns) == (
        len(data.spells),
        data.children,
        data.returns,
    )
    same_results(ClaJourneyModel(data, groups=groups).fit(), curves, cohorts)


def test_sql_counts_match_the_per_child_fit(shared_data: Path) -> None:
    con = connect_duckdb()
    load_returns(
        con, [ReturnYear(2024, frames(RETURN_2024)), ReturnYear(2025, frames(RETURN_2025))]
    )
    _cla(con, ["age", "placement"])
    # With CIN returns beside them: the referral-to-care clock too.
    con.execute(
        "CREATE TABLE cin_return AS SELECT * FROM (VALUES ('r1', DATE '2025-03-31')) "
        "t(return_id, reference_date)"
    )
    con.execute(
        "CREATE TABLE cin_child AS SELECT * FROM (VALUES ('r1', 1, 'q', DATE '2015-06-01'), "
        "('r1', 2, 'z', DATE '2010-01-01')) t(return_id, child_seq, child_id, birth_date)"
    )
    con.execute(
        "CREATE TABLE cin_episode AS SELECT * FROM (VALUES ('r1', 1, DATE '2024-03-01'), "
        "('r1', 2, DATE '2024-10-01')) t(return_id, child_seq, referral_date)"
    )
    _cla(con, ["age"])
    folder = shared_data / "ssda903" / "samples"
    ret = read_return(
        [p for p in folder.glob("*.csv") if "errors" not in p.name],
        pseudonymiser=Pseudonymiser(b"journeys-test-key-16"),
    )
    sample = connect_duckdb()
    load_returns(sample, [ReturnYear(2018, ret.tables)])
    _cla(sample, ["age", "placement"])
