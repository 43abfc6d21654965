"""Ofsted over HTTP: the record's date on every answer, stale authorities, reports to
obtain, and no page showing a judgement date later than the record."""

from __future__ import annotations

import csv
import re
from datetime import date, datetime

import httpx

RECORD = date(2026, 6, 18)  # Wolverhampton, published 18 June 2026 (the ILACS overview)
_LONG_DATE = re.compile(
    r"\b(\d{1,2}) (January|February|March|April|May|June|July|August|September|October|"
    r"November|December) (\d{4})\b"
)


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _dates(text: str) -> list[date]:
    return [datetime.strptime(" ".join(m), "%d %B %Y").date() for m in _LONG_DATE.findall(text)]


def test_summary_defaults_to_the_record_date(api: httpx.Client) -> None:
    d = api.get("/api/ofsted/summary").json()
    assert d["as_at"] == d["record_runs_to"] == RECORD.isoformat()
    assert d["note"] is None and not d["as_at_after_record"]
    assert d["record"] == {
        "runs_to": "2026-06-18",
        "archive_runs_to": "2025-03-18",
        "overview_runs_to": "2026-06-18",
        "n_report": 431,
        "n_overview": 53,
    }
    assert d["stale"] == len(d["stale_authorities"]) == 22
    assert d["n"] == 151 and d["grade_not_given"] == ["304", "933"]


def test_summary_after_the_record_is_answered_and_labelled(api: httpx.Client) -> None:
    d = api.get("/api/ofsted/summary", params={"as_at": "2026-12-01"}).json()
    assert d["as_at"] == "2026-12-01" and d["as_at_after_record"]
    assert d["note"].startswith("Ofsted record runs to 2026-06-18")
    old = api.get("/api/ofsted/summary", params={"as_at": "2016-08-25"}).json()
    assert old["stale"] == old["no_judgement_in_archive"]["count"] == 53


def test_summary_of_judgements_no_longer_made(api: httpx.Client) -> None:
    """The SIF's LSCB review and adoption grade, and the legacy looked-after judgements,
    are in force nowhere on the record's date (145 adoption, 147 LSCB and 4 looked-after
    grades were): each authority's is ended by a later inspection, or for the LSCB by 29
    September 2019 (before its ILACS inspection in 79 authorities), and says so."""
    for code, ended in (("adoption", 145), ("lscb", 147), ("lac_overall_effectiveness", 4)):
        d = api.get("/api/ofsted/summary", params={"judgement": code}).json()
        assert d["n"] == 0 and set(d["counts"].values()) == {0}, code
        assert d["no_longer_judged"]["count"] == ended and d["stale"] == 153
        gone = [s for s in d["stale_authorities"] if s["reason"] == "no_longer_judged"]
        assert len(gone) == ended and all(s["last_grade"] and s["ended_on"] for s in gone)
        by_date = [s for s in gone if s["ended_by_inspection"] is None]
        assert len(by_date) == (79 if code == "lscb" else 0)
        assert {s["ended_on"] for s in by_date} <= {"2019-09-29"}
    fields = api.get("/api/openapi.json").json()["components"]["schemas"]
    assert {"ended_on", "ended_by_inspection"} <= set(fields["StaleView"]["properties"])
    assert "no_longer_judged" in fields["GradeSummaryOut"]["properties"]


def test_missing_reports(api: httpx.Client) -> None:
    d = api.get("/api/ofsted/missing").json()
    assert len(d["data"]) == 53 and d["record"]["archive_runs_to"] == "2025-03-18"
    assert all(m["url"].startswith("https://files.ofsted.gov.uk/") for m in d["data"])


def test_inspections_carry_provenance(api: httpx.Client) -> None:
    d = api.get("/api/authorities/Brent/inspections").json()
    assert d["record_runs_to"] == RECORD.isoformat()
    newest = d["data"][0]
    assert newest["provenance"] == "overview" and newest["grades_not_given"] == [
        "overall_effectiveness"
    ]
    assert {i["provenance"] for i in d["data"][1:]} == {"report"}


def test_overview_page_lists_the_stale_authorities(api: httpx.Client) -> None:
    html = api.get("/").text
    text = _text(html)
    assert "Ofsted judgements in force on 18 June 2026" in text
    assert "Stale judgements: 22 of 153 authorities" in text
    assert html.count('href="/authorities/', html.index('id="table-ofsted-stale"')) >= 22
    rows = list(csv.DictReader(api.get("/tables/ofsted-stale.csv").text.splitlines()))
    assert len(rows) == 22 and {r["as_at"] for r in rows} == {RECORD.isoformat()}
    assert {r["reason"] for r in rows} == {"older_than_three_years"}


def test_no_page_shows_a_judgement_date_later_than_the_record(api: httpx.Client) -> None:
    """Every date in an Ofsted section (overview page, profiles of authorities whose
    latest inspection comes from the report or from the overview) is on or before the
    date the record runs to; each section says what that date is."""
    html = api.get("/").text
    section = _text(html[html.index('id="ofsted"') : html.index('id="map-heading"')])
    assert "runs to 18 June 2026" in section
    assert max(_dates(section)) == RECORD
    for la in ("304", "336", "352", "838", "420", "201"):
        html = api.get(f"/authorities/{la}").text
        start = html.index('id="ofsted"')
        section = _text(html[start : html.index("</section>", start)])
        assert "record runs to 18 June 2026" in section
        assert max(_dates(section)) <= RECORD, la


def test_risk_shows_the_stale_column_with_the_record_date(api: httpx.Client) -> None:
    """/risk (as at today, after the record) labels the record's date; its CSV and the
    API's carry staleness by the one definition."""
    rows = list(csv.DictReader(api.get("/risk/tables/risk.csv").text.splitlines()))
    # as at today, the latest report the ranking used is the end of the record
    assert {r["ofsted_record_to"] for r in rows} == {RECORD.isoformat()}
    stale = [r for r in rows if r["stale"] == "true"]  # page CSVs write booleans as true/false
    assert stale and all(r["stale_reason"] for r in stale)
    # ages are written to one decimal: a judgement a few days over three years old (Hounslow's
    # on 2 December 2026) is stale and written 3.0, so the written age is at least 3
    assert all(float(r["judgement_age_years"]) >= 3 for r in stale if r["judgement_age_years"])
    text = _text(api.get("/risk").text)
    assert f"{len(stale)} of {len(rows)} authorities are stale" in text
    assert "the Ofsted record runs to 18 June 2026" in text
    meta = api.get("/api/risk").json()["meta"]
    assert meta["ofsted_record_runs_to"] == RECORD.isoformat() and meta["stale"] == len(stale)
    header = api.get("/api/risk", params={"format": "csv"}).text.splitlines()[0].split(",")
    assert {"stale", "stale_reason", "ofsted_record_to"} <= set(header)
    assert header.index("stale_reason") == header.index("stale") + 1
