"""Independent check of the published statistics in the warehouse against their sources.

Recomputes every catalogue indicator for every authority, region and England in every
year from the raw published files (DfE tidy CSVs, the LAIT long parquet, the ONS
population file), with its own reading of the files and its own formulas written from
``docs/indicators.md``, and compares the result with the ``observation`` table of a
built warehouse. It imports nothing of cscwatch.

Usage (after ``make demo``, or ``cscwatch build`` with ``CSCWATCH_WAREHOUSE`` set)::

    python scripts/audit_published.py [--warehouse PATH] [--data DIR] [--show N]

``--data`` is the folder of raw files (``data/snapshot`` by default; the shared data
folder's ``published/dfe`` and ``published/lait`` hold the same files). Prints how many
figures were compared, how many agree, and every difference by class; exits 0 when no
difference is unexplained (every explained class is named in :data:`EXPLAINED`).
"""

from __future__ import annotations

import argparse
import math
import sys
from collections import Counter, defaultdict
from pathlib import Path

import duckdb
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a file or imported by a test
from _audit_inputs import BadInput, default_warehouse, need, open_warehouse, run

ROOT = Path(__file__).resolve().parent.parent
SYMBOLS = {"c", "x", "z", "u", "k", "low", "-"}
ENGLAND = "E92000001"
# LAIT's numbers for England and the nine regions (ONS region codes); 987/988 (inner and
# outer London) are not regions of the DfE files.
LAIT_AREAS = {
    "970": ("national", ENGLAND),
    "980": ("regional", "E12000001"),  # North East
    "981": ("regional", "E12000002"),  # North West
    "982": ("regional", "E12000003"),  # Yorkshire and the Humber
    "983": ("regional", "E12000004"),  # East Midlands
    "984": ("regional", "E12000005"),  # West Midlands
    "985": ("regional", "E12000006"),  # East of England
    "986": ("regional", "E12000007"),  # London
    "989": ("regional", "E12000008"),  # South East
    "990": ("regional", "E12000009"),  # South West
}
FILES = {
    "b1": "b1_children_in_need_2013_to_2025.csv",
    "c1": "c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv",
    "c3": "c3_factors_identified_at_end_of_assessment_2018_to_2025.csv",
    "d3": "d3_cpps_subsequent_plan_2013_to_2025.csv",
    "d5": "d5_cpps_at31march_by_duration_2013_to_2025.csv",
    "cla": "cla_number_and_rate_per_10k_children.csv",
    "stab": "la_cla_placement_stability.csv",
    "csww": "csww_indicators_2017_to_2025.csv",
    "ks2": "ks2_la.csv",
    "ks4": "ks4_la.csv",
    "pop": "ons_mid-year_population_estimates_2012_to_2024.csv",
}
LAIT = "bds_long_0.parquet"

START = {"population_type": "Children starting to be looked after each year"}
AT31 = {"population_type": "Children looked after on 31 March each year"}
CEASE = {"population_type": "Children ceasing to be looked after each year"}
CIN_GROUP = {"social_care_group": "CINO at 31 March"}
CPP_GROUP = {"social_care_group": "CPPO at 31 March"}

# Each indicator as docs/indicators.md states it ("Computed as"), written out here.
# kinds: col (published cell), pct (publisher's % where given, else 100*num/den),
# rate (publisher's rate where given, else 10000*num/population), lait (LAIT as
# published), lait_pop (LAIT amount / population), lait_over (LAIT amount / another
# indicator), pop (ONS estimate). ``before``: a LAIT series carrying the years before
# the tidy file begins. ``sep``: a workforce census of 30 September (population of the
# same mid-year; shared services' rates stand for both authorities).
SPEC: dict[str, dict[str, object]] = {}


def _s(
    ind: str,
    kind: str,
    src: str = "",
    num: str = "",
    den: str = "",
    pub: str = "",
    flt: dict[str, str] | None = None,
    before: str = "",
    other: str = "",
    scale: float = 1.0,
    sep: bool = False,
) -> None:
    SPEC[ind] = dict(
        kind=kind,
        src=src,
        num=num,
        den=den,
        pub=pub,
        flt=flt or {},
        before=before,
        other=other,
        scale=scale,
        sep=sep,
    )


_s("referrals", "col", "c1", "referral_count")
_s("referrals_per_10k", "rate", "c1", "referral_count")
_s("rereferrals_pct", "pct", "c1", "rereferral_count", "referral_count", "rereferral_percent")
_s("nfa_pct", "pct", "c1", "no_further_action_count", "referral_count", "no_further_action_percent")
_s(
    "assessed_not_in_need_pct",
    "pct",
    "c1",
    "not_in_need_count",
    "referral_count",
    "not_in_need_percent",
)
_s("cin_episodes", "col", "b1", "Anypoint_episodes")
_s("cin_episodes_per_10k", "rate", "b1", "Anypoint_episodes")
_s("cin_starts_per_10k", "rate", "b1", "Started_episodes")
_s("cin_at31", "col", "b1", "At31_episodes")
_s("cin_at31_per_10k", "rate", "b1", "At31_episodes")
_s("awaiting_assessment", "col", "b1", "awaiting_assessment")
_s("s47_per_10k", "lait", num="Section_47")
_s("icpc_per_10k", "lait", num="ISCP_Conf")
_s("icpc_within_15_days_pct", "lait", num="CP_conf_15days")
_s("cpp_starts", "col", "d3", "CPP_start")
_s("cpp_starts_per_10k", "rate", "d3", "CPP_start")
_s("repeat_cpp_pct", "pct", "d3", "CPP_subsequent", "CPP_start", "CPP_subsequent_percent")
_s("cpp_at31", "col", "d5", "CPP_At31")
_s("cpp_at31_per_10k", "rate", "d5", "CPP_At31")
_s(
    "cpp_3months_or_less_pct",
    "pct",
    "d5",
    "3_months_or_less",
    "CPP_At31",
    "3_months_or_less_percent",
)
_s("cpp_2yrs_plus_pct", "pct", "d5", "2_years_or_more", "CPP_At31", "2_years_or_more_percent")
_s("lac_at31", "col", "cla", "children_count", flt=AT31, before="LACnum")
_s(
    "lac_at31_per_10k",
    "rate",
    "cla",
    "children_count",
    pub="rate_per_10000",
    flt=AT31,
    before="LACnum",
)
_s(
    "lac_starts_per_10k",
    "rate",
    "cla",
    "children_count",
    pub="rate_per_10000",
    flt=START,
    before="LACnum_Start",
)
_s(
    "lac_ceased_per_10k",
    "rate",
    "cla",
    "children_count",
    pub="rate_per_10000",
    flt=CEASE,
    before="LACceased",
)
_s(
    "lac_3plus_placements_pct",
    "col",
    "stab",
    "children_percent",
    flt={
        "cla_group": "CLA on 31 March",
        "placement_stability": "With 3 or more placements during the year",
    },
    before="LACStable_2016on",
)
_s(
    "lac_same_carer_2yrs_pct",
    "col",
    "stab",
    "children_percent",
    flt={
        "cla_group": "Children looked after continuously for at least 2.5 years on 31 March "
        "aged under 16 years",
        "placement_stability": "Living with the same carer for at least 2 years",
    },
    before="LAC_LongStable%",
)
_s("social_workers_fte", "col", "csww", "inpost_fte", sep=True)
_s("social_workers_per_10k", "rate", "csww", "inpost_fte", sep=True)
for _i, _n in (
    ("agency_rate_pct", "agency_rate_fte"),
    ("vacancy_rate_pct", "vacancy_rate_fte"),
    ("turnover_rate_pct", "turnover_rate_fte"),
    ("caseload", "caseload_fte"),
    ("absence_rate_pct", "absence_rate_fte"),
):
    _s(_i, "col", "csww", _n, sep=True)
_s("spend_safeguarding_gross", "lait", num="SafeguardingFinance")
_s("spend_safeguarding_per_child", "lait_pop", num="SafeguardingFinance")
_s("spend_safeguarding_per_cin", "lait_over", num="SafeguardingFinance", other="cin_at31")
_s(
    "spend_safeguarding_per_cin_episode",
    "lait_over",
    num="SafeguardingFinance",
    other="cin_episodes",
)
_s("spend_sw_commissioning_weekly_per_cin", "lait", num="SWFinance")
_s("spend_children_centres_per_child", "lait_pop", num="SureStartFinance")
_s("spend_family_support_per_child", "lait_pop", num="FamilySupportFinance")
_s("spend_lac_per_child", "lait_pop", num="TotalLACFinance")
_s("spend_per_looked_after_child", "lait_over", num="TotalLACFinance", other="lac_at31")
for _i, _m in (
    ("fsm_primary_pct", "PriFSM"),
    ("fsm_secondary_pct", "SecFSM"),
    ("under18_conceptions_per_1000", "Under18concep"),
    ("children_low_income_pct", "ChildPov"),
    ("ks2_rwm_all_pct", "KS2RWM_Expected_STD"),
    ("ks4_att8_all", "AVG_Attain8_Score"),
):
    _s(_i, "lait", num=_m)
_s("population_0_17", "pop")
_s(
    "ks2_rwm_cin_pct",
    "pct",
    "ks2",
    "t_rwm_met_expected_standard",
    "t_rwm_eligible_pupils",
    "pt_rwm_met_expected_standard",
    flt=CIN_GROUP,
)
_s(
    "ks2_rwm_cpp_pct",
    "pct",
    "ks2",
    "t_rwm_met_expected_standard",
    "t_rwm_eligible_pupils",
    "pt_rwm_met_expected_standard",
    flt=CPP_GROUP,
)
_s("ks4_att8_cin", "pct", "ks4", "t_att8", "t_pupils", "avg_att8", flt=CIN_GROUP, scale=0.01)
for _c in (
    "Domestic_Abuse_parent",
    "Domestic_Abuse_child",
    "Mental_Health_parent",
    "Mental_Health_child",
    "Drug_Misuse_parent",
    "Alcohol_Misuse_parent",
    "Neglect",
    "Emotional_Abuse",
    "Physical_Abuse_adult_on_child",
    "Sexual_Abuse_adult_on_child",
    "Child_sexual_exploitation",
    "Child_criminal_exploitation",
    "Going_missing",
    "Self_harm",
    "Learning_Disability_parent",
):
    _s(f"factor_{_c.lower()}_pct", "pct", "c3", _c, "Episodes_with_assessment_factor")
_s("lac_starts", "col", "cla", "children_count", flt=START, before="LACnum_Start")
_s("lac_ceased", "col", "cla", "children_count", flt=CEASE, before="LACceased")
for _i, _m in (
    ("uasc_at31", "Unacc_Asylmn_Seek_Childn"),
    ("uasc_pct", "Unacc_Asylmn_Seek_Childn%"),
    ("uasc_starts_pct", "UASC_%_Starting"),
    ("lac_foster_pct", "LAC_Foster_Placements"),
    ("lac_childrens_homes_pct", "LAC_SecHome_And_ChildHome"),
    ("lac_independent_living_pct", "LAC_Ind_SInd_Liv_Arr"),
    ("lac_other_residential_pct", "LAC_Other_Res_Settings"),
    ("lac_with_parents_pct", "LAC_Parents_OR_Others"),
    ("lac_other_placement_pct", "LAC_Other_Place_Inc_Unreg"),
    ("lac_placed_over_20_miles_pct", "LACDistance"),
    ("foster_places", "Number_Foster_Places(New)"),
    ("foster_places_filled", "Number_Foster_Places_Filled(New)"),
    ("lac_3plus_placements", "LACStableNum_2016on"),
    ("lac_same_carer_2yrs", "LAC_LongStableNum"),
    ("lac_missing_pct", "Children_missing"),
    ("lac_away_pct", "Children_Away"),
    ("care_leavers_19_21", "NoCareLeavers"),
    ("care_leavers_eet_pct", "CareLeaverEET"),
    ("care_leavers_neet_pct", "CareLeaversNEET"),
    ("care_leavers_suitable_accommodation_pct", "CareLeaverAcc"),
    ("care_leavers_not_in_touch_pct", "CareLeavers_LA_NotInTouch"),
    ("care_leavers_higher_education_pct", "LAC_19_HE"),
    ("staying_put_pct", "StayingPut"),
    ("lac_adopted", "No_of LAC Adopted"),
    ("lac_adopted_pct", "%_of LAC Adopted"),
    ("lac_ceased_sgo", "LAC_ceased_SGO"),
    ("lac_ceased_sgo_pct", "LAC_ceased_SGO%"),
    ("unit_cost_lac_weekly", "LACFinance"),
    ("unit_cost_fostering_weekly", "FosteringFinance"),
    ("unit_cost_residential_weekly", "RescareFinance"),
    ("spend_lac_gross", "TotalLACFinance"),
    ("spend_leaving_care_gross", "LeaveCareSupServTotExp"),
    ("spend_cyp_gross", "C&YPExpenditure"),
):
    _s(_i, "lait", num=_m)
_s(
    "foster_places_filled_pct",
    "lait_over",
    num="Number_Foster_Places_Filled(New)",
    other="foster_places",
    scale=100.0,
)
_s("spend_lac_share_pct", "lait_over", num="TotalLACFinance", other="spend_cyp_gross", scale=100.0)
#: Built only from an optional file (docs/snapshot.md); not checked here.
OPTIONAL = {"spend_social_work_per_cin_episode"}

Key = tuple[str, str, str, int]  # indicator, geo_level, geo_code, year
Fig = tuple[float | None, str | None]  # value, publisher's symbol

#: Reorganisations: former authority, successors, the day the successors began.
REORGANISATIONS = (
    ("835", ("838", "839"), (2019, 4, 1)),  # Dorset County Council
    ("836", ("839",), (2019, 4, 1)),  # Poole
    ("837", ("839",), (2019, 4, 1)),  # Bournemouth
    ("928", ("940", "941"), (2021, 4, 1)),  # Northamptonshire
    ("909", ("942", "943"), (2023, 4, 1)),  # Cumbria
)


def period_kinds(docs: Path) -> dict[str, str]:
    """Each indicator's period kind as docs/indicators.md states it."""
    kinds: dict[str, str] = {}
    current = ""
    for line in docs.read_text(encoding="utf-8").splitlines():
        if line.startswith("### `"):
            current = line.split("`")[1]
        elif current and "**period:**" in line:
            kinds[current] = line.rsplit("(`", 1)[1].split("`")[0]
    return kinds


def label(kind: str, y: int) -> str:
    """The publisher's name for year ``y`` of a period kind (docs/indicators.md)."""
    return {
        "financial_year": f"{y - 1}-{y % 100:02d}",
        "at_31_march": f"31 March {y}",
        "at_30_september": f"30 September {y}",
        "year_to_30_september": f"year to 30 September {y}",
        "academic_year": f"{y - 1}/{y % 100:02d}",
        "january_census": f"January {y}",
        "calendar_year": f"{y}",
        "mid_year": f"mid-{y}",
    }[kind]


def reference_date(kind: str, y: int) -> tuple[int, int, int]:
    """The day a figure of year ``y`` refers to, or the last day of its period."""
    return {
        "financial_year": (y, 3, 31),
        "at_31_march": (y, 3, 31),
        "at_30_september": (y, 9, 30),
        "year_to_30_september": (y, 9, 30),
        "academic_year": (y, 8, 31),
        "january_census": (y, 1, 31),
        "calendar_year": (y, 12, 31),
        "mid_year": (y, 6, 30),
    }[kind]


def outside_life(figures: dict[Key, Fig], kinds: dict[str, str]) -> dict[str, list[str]]:
    """Figures given to a former authority for a period ending after it ceased, or to a
    successor for a period ending before it began (by class)."""
    found: dict[str, list[str]] = defaultdict(list)
    for (ind, lvl, code, y), (v, _s) in sorted(figures.items()):
        if lvl != "la" or v is None:
            continue
        # Attainment of children in need or on a plan: the cohort is the one on 31 March
        # of the academic year, when the authority that counted it existed.
        cohort = SPEC[ind]["flt"] in (CIN_GROUP, CPP_GROUP)
        when = (y, 3, 31) if cohort else reference_date(kinds[ind], y)
        for former, successors, began in REORGANISATIONS:
            text = f"{ind} {code} {label(kinds[ind], y)}: {v:g}"
            if code == former and when >= began:
                found["former authority after it ceased (LAIT's own number)"].append(text)
                break
            if code in successors and when < began:
                found["successor before it began (publisher's back-cast)"].append(text)
                break
    return found


def _num(cell: object) -> float | None:
    if cell is None or (isinstance(cell, float) and math.isnan(cell)):
        return None
    try:
        v = float(str(cell).strip())
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def _sym(cell: object) -> str | None:
    s = "" if cell is None or (isinstance(cell, float) and math.isnan(cell)) else str(cell)
    return s.strip() if s.strip() in SYMBOLS else None


def _read_tidy(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    return df.apply(lambda c: c.str.strip())


def _places(row: pd.Series) -> list[tuple[str, str, bool]]:
    """(geo_level, geo_code, shared) for a tidy row; a joint service's row names both."""
    lvl = row["geographic_level"]
    if lvl == "National":
        return [("national", ENGLAND, False)]
    if lvl == "Regional":
        return [("regional", row["region_code"], False)]
    codes = [c.strip() for c in row["old_la_code"].split("/")]
    return [("la", c, len(codes) > 1) for c in codes]


def _year(tp: str) -> int:
    return int(tp[:4]) + 1 if len(tp) == 6 else int(tp)


def recompute(data: Path) -> tuple[dict[Key, Fig], dict[str, int]]:
    """Every figure from the raw files, and each spliced series' first tidy-file year."""
    tidy = {k: _read_tidy(data / f) for k, f in FILES.items()}
    pop: dict[tuple[str, str, int], float | None] = {}
    pop_sym: dict[tuple[str, str, int], str | None] = {}
    for _, r in tidy["pop"].iterrows():
        for lvl, code, _sh in _places(r):
            pop[(lvl, code, int(r["time_period"]))] = _num(r["population_estimate"])
            pop_sym[(lvl, code, int(r["time_period"]))] = _sym(r["population_estimate"])
    lait = duckdb.sql(
        f"""SELECT "Short Desc" AS m, "Years" AS y, "LA Number" AS la,
                   trim(CAST("Values" AS VARCHAR)) AS v
            FROM read_parquet('{data / LAIT}') WHERE "LA Number" IS NOT NULL"""
    ).df()
    used = {str(sp["num"]) for sp in SPEC.values() if sp["kind"].startswith("lait")}
    used |= {str(sp["before"]) for sp in SPEC.values() if sp["before"]}
    lait = lait[lait["m"].isin(used)]
    lait["la"] = lait["la"].map(lambda x: f"{int(x):03d}")
    ly: dict[str, int] = {}
    for y in lait["y"].unique():
        s = str(y)
        # '2016' as published; '2016-17 (OT)' and '2016-17': the financial year ending 2017
        ly[s] = int(s) if s.isdigit() else int(s[:2] + s[5:7])
    lait_idx: dict[tuple[str, str, str, int], str] = {}
    for m, y, la, v in lait.itertuples(index=False):
        if la in ("987", "988"):
            continue
        lvl, code = LAIT_AREAS.get(la, ("la", la))
        lait_idx.setdefault((m, lvl, code, ly[y]), v)
    out: dict[Key, Fig] = {}
    own: dict[Key, bool] = {}
    tidy_first: dict[str, int] = {}

    def put(key: Key, fig: Fig, shared: bool) -> None:
        # A place's own row wins over a joint service's row.
        if key in out and (shared or own[key]):
            return  # the first row in file order, unless a joint one meets an own one
        out[key] = fig
        own[key] = not shared

    for ind, sp in SPEC.items():
        kind = sp["kind"]
        if kind in ("col", "pct", "rate"):
            df = tidy[str(sp["src"])]
            for k, v in dict(sp["flt"]).items():  # type: ignore[call-overload]
                df = df[df[k] == v]
            if "version" in df.columns:  # KS2/KS4: the final version before a revised one
                df = df.assign(_v=(df["version"] != "Final").astype(int)).sort_values(
                    "_v", kind="stable"
                )
            for _, r in df.iterrows():
                y = _year(r["time_period"])
                for lvl, code, shared in _places(r):
                    if shared and (kind == "rate" or ind == "social_workers_fte"):
                        # A joint service's return ("940 / 941"): its count (FTE, the
                        # workforce file's one count) stands for neither authority, its
                        # rates for both (docs/architecture.md, method 'shared').
                        continue
                    n = r[sp["num"]]
                    if kind == "col":
                        fig: Fig = (_num(n), _sym(n) if _num(n) is None else None)
                    elif kind == "pct":
                        p = r[sp["pub"]] if sp["pub"] else None
                        d = r[sp["den"]]
                        val = _num(p) if p is not None else None
                        if val is None and _num(n) is not None and (_num(d) or 0) > 0:
                            val = 100.0 * float(sp["scale"]) * _num(n) / _num(d)  # type: ignore
                        sym = None
                        if val is None:
                            sym = (_sym(p) if p is not None else None) or _sym(n) or _sym(d)
                        fig = (val, sym)
                    else:
                        p = r[sp["pub"]] if sp["pub"] else None
                        val = _num(p) if p is not None else None
                        py = y if sp["sep"] else y - 1  # mid-year estimate before period end
                        pp = pop.get((lvl, code, py))
                        if val is None and _num(n) is not None and pp:
                            val = 10000.0 * _num(n) / pp  # type: ignore[operator]
                        sym = None
                        if val is None:
                            sym = (_sym(p) if p is not None else None) or _sym(n)
                            if sym is None and _num(n) is not None and not pp:
                                sym = "x"  # the population is not published for the place
                        fig = (val, sym)
                    put((ind, lvl, code, y), fig, shared)
            if sp["before"]:
                first = tidy_first[ind] = min(k[3] for k in out if k[0] == ind)
                for (m, lvl, code, y), v in lait_idx.items():
                    if m != sp["before"] or y >= first:
                        continue
                    if kind == "rate":
                        pp = pop.get((lvl, code, y - 1))
                        val = 10000.0 * _num(v) / pp if _num(v) is not None and pp else None
                        out[(ind, lvl, code, y)] = (
                            val,
                            None if val is not None else (_sym(v) or "x"),
                        )
                    else:
                        out[(ind, lvl, code, y)] = (_num(v), _sym(v))
        elif kind == "lait":
            for (m, lvl, code, y), v in lait_idx.items():
                if m == sp["num"]:
                    out[(ind, lvl, code, y)] = (_num(v), _sym(v))
        elif kind == "pop":
            for (lvl, code, y), v in pop.items():
                out[(ind, lvl, code, y)] = (v, pop_sym[(lvl, code, y)])
    # Derived from other figures: after every plain one exists.
    for ind, sp in SPEC.items():
        if sp["kind"] not in ("lait_pop", "lait_over"):
            continue
        for (m, lvl, code, y), v in lait_idx.items():
            if m != sp["num"]:
                continue
            if sp["kind"] == "lait_pop":
                den = pop.get((lvl, code, y - 1))
                den_sym = None if den is not None else "x"
            else:
                o = out.get((str(sp["other"]), lvl, code, y), (None, None))
                den, den_sym = o[0], (o[1] or "x")
            a = _num(v)
            if a is not None and den:
                out[(ind, lvl, code, y)] = (float(sp["scale"]) * a / den, None)
            else:
                out[(ind, lvl, code, y)] = (None, _sym(v) if a is None else den_sym)
    return out, tidy_first


#: Where DfE's tidy files and LAIT both give a figure: (indicator, LAIT measure).
CROSS_CHECKS = (
    ("referrals", "CPP_Total_NumRef"),
    ("referrals_per_10k", "CPP_Total_Rateper10,000"),
    ("rereferrals_pct", "ReReferral"),
    ("nfa_pct", "CIN_Refferals_NFA"),
    ("assessed_not_in_need_pct", "Referrals_AssessedNotNeed"),
    ("cin_at31_per_10k", "CIN"),
    ("cpp_starts", "CPP_Abuse"),
    ("cpp_starts_per_10k", "CPP_Abuse_Rate"),
    ("repeat_cpp_pct", "PrevRegCPR"),
    ("cpp_at31_per_10k", "CPP_rate"),
    ("cpp_2yrs_plus_pct", "CPPlans2yrsActive"),
    ("lac_at31", "LACnum"),
    ("lac_at31_per_10k", "LAC"),
    ("lac_starts", "LACnum_Start"),
    ("lac_starts_per_10k", "LAC_Start_Rate"),
    ("lac_ceased", "LACceased"),
    ("lac_ceased_per_10k", "LAC_Cease_Rate"),
    ("lac_3plus_placements_pct", "LACStable_2016on"),
    ("lac_same_carer_2yrs_pct", "LAC_LongStable%"),
    ("social_workers_fte", "Work_Force_NoSW"),
    ("agency_rate_pct", "Work_Force_Agecy_Rate"),
    ("vacancy_rate_pct", "Work_Force_Vac_Rate"),
    ("turnover_rate_pct", "Work_Force_TO_Rate"),
    ("absence_rate_pct", "Work_Force_SWAbsence"),
    ("caseload", "Work_Force_AvgNumCase_SW"),
    ("ks2_rwm_cin_pct", "CIN_KS2_ExpStd_RWM"),
    ("ks2_rwm_cpp_pct", "CPPO_KS2_RWM"),
    ("ks4_att8_cin", "CIN_Avg_Attain8_KS4"),
)


def cross_check(
    data: Path, ours: dict[Key, Fig], tidy_first: dict[str, int]
) -> list[tuple[str, str, int, int, float]]:
    """(indicator, LAIT measure, figures both give, agreeing within LAIT's rounding,
    largest gap), over the tidy files' years (a spliced series' earlier years are LAIT's
    own figures and are left out)."""
    measures = ", ".join("'" + m + "'" for _, m in CROSS_CHECKS)
    lait = duckdb.sql(
        f"""SELECT "Short Desc", "Years", "LA Number",
                   TRY_CAST(trim(CAST("Values" AS VARCHAR)) AS DOUBLE)
            FROM read_parquet('{data / LAIT}')
            WHERE "LA Number" IS NOT NULL AND "Short Desc" IN ({measures})"""
    ).fetchall()
    out = []
    for ind, m in CROSS_CHECKS:
        both = agree = 0
        worst = 0.0
        for mm, y, la, v in lait:
            if mm != m or v is None or not str(y).isdigit():
                continue
            code = f"{int(la):03d}"
            if code in ("987", "988") or int(y) < tidy_first.get(ind, 0):
                continue
            lvl, geo = LAIT_AREAS.get(code, ("la", code))
            mine = ours.get((ind, lvl, geo, int(y)), (None, None))[0]
            if mine is None:
                continue
            both += 1
            gap = abs(mine - v)
            worst = max(worst, gap)
            # LAIT rounds: to one decimal place, or to whole numbers
            agree += gap <= 0.05 + 1e-9 or (v == round(v) and gap <= 0.5 + 1e-9)
        out.append((ind, m, both, agree, worst))
    return out


#: Classes of difference that are explained, and how (see the docs section
#: "Independent check, 3 December 2026" in docs/snapshot.md).
EXPLAINED: dict[str, str] = {
    "successor before it began (publisher's back-cast)": (
        "documented: ONS and DWP publish these on the successor's boundaries"
    ),
    "former authority after it ceased (LAIT's own number)": (
        "source: LAIT gives these figures the former authority's number; kept as "
        "published under it, never ranked as an authority that year (the successors' "
        "where established: docs/snapshot.md, docs/methods/benchmarking.md)"
    ),
}


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def _same(a: Fig | None, b: Fig | None) -> str:
    """ "" when two figures agree, else the class of their difference."""
    if a is None or b is None:
        return "missing in warehouse" if b is None else "only in warehouse"
    if _close(a[0], b[0]) and (a[0] is not None or a[1] == b[1]):
        return ""
    if _close(a[0], b[0]):
        return "same value, different symbol"
    if a[0] is None or b[0] is None:
        return "number where the other has none"
    return "different number"


def api_check(
    base: str, ours: dict[Key, Fig], kinds: dict[str, str]
) -> tuple[int, int, dict[str, list[str]]]:
    """Every place of each indicator's first and latest year as /api/observations
    answers it: value, symbol and the year's label."""
    import json
    import urllib.parse
    import urllib.request

    years: dict[str, list[int]] = defaultdict(list)
    for ind, _lvl, _code, y in ours:
        years[ind].append(y)
    n = ok = 0
    bad: dict[str, list[str]] = defaultdict(list)
    for ind in sorted(years):
        for y in sorted({min(years[ind]), max(years[ind])}):
            q = urllib.parse.urlencode({"indicator": ind, "year": y, "limit": 1000})
            with urllib.request.urlopen(f"{base}/api/observations?{q}", timeout=60) as r:
                rows = json.load(r)["data"]
            for row in rows:
                if row["provisional"]:
                    continue
                n += 1
                key = (ind, row["geo_level"], row["geo_code"], row["year"])
                cls = _same(ours.get(key), (row["value"], row["status"]))
                if not cls and row["period_label"] != label(kinds[ind], y):
                    cls = "year label"
                if cls:
                    bad[cls].append(f"{key}: ours={ours.get(key)} api={row}")
                else:
                    ok += 1
    return n, ok, bad


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--warehouse", type=Path, default=default_warehouse())
    ap.add_argument("--data", default=str(ROOT / "data" / "snapshot"))
    ap.add_argument("--api", help="also check a running server, e.g. http://127.0.0.1:8000")
    ap.add_argument("--show", type=int, default=3, help="examples printed per class")
    args = ap.parse_args(argv)
    data = need(Path(args.data), "folder of raw published files", folder=True)
    kinds = period_kinds(ROOT / "docs" / "indicators.md")
    con = open_warehouse(args.warehouse, ("observation",))
    try:
        ours, tidy_first = recompute(data)
    except FileNotFoundError as exc:
        con.close()
        raise BadInput(f"{data}: {Path(exc.filename or '?').name} is missing there") from None
    except duckdb.IOException as exc:
        con.close()
        raise BadInput(f"{data}: {str(exc).splitlines()[0]}") from None
    wh: dict[Key, Fig] = {
        (i, lvl, code, int(y)): (v, s)
        for i, lvl, code, y, v, s in con.execute(
            "SELECT indicator, geo_level, geo_code, year, value, status FROM observation "
            "WHERE NOT provisional"
        ).fetchall()
    }
    con.close()
    classes: dict[str, list[str]] = defaultdict(list)
    keys = sorted(set(ours) | {k for k in wh if k[0] not in OPTIONAL})
    for k in keys:
        cls = _same(ours.get(k), wh.get(k))
        if cls:
            classes[cls].append(f"{k}: ours={ours.get(k)} warehouse={wh.get(k)}")
    equal = len(keys) - sum(len(v) for v in classes.values())
    per_ind = Counter(k[0] for k in keys)
    print(f"1. warehouse: {len(per_ind)} indicators (not built: optional {sorted(OPTIONAL)})")
    print(f"   figures compared: {len(keys)}; equal: {equal}; different: {len(keys) - equal}")
    # Reorganised authorities: every figure outside the authority's life, by class.
    life = outside_life(ours, kinds)
    n_life = sum(len(v) for v in life.values())
    print(f"2. reorganised authorities: {n_life} figures outside the authority's life")
    for cls, items in sorted(life.items()):
        classes[cls].extend(items)
        print(f"   {cls}: {len(items)} ({EXPLAINED.get(cls, 'UNEXPLAINED')})")
        for line in items[: args.show]:
            print(f"     {line}")
    print("3. DfE tidy file against LAIT where both give a figure (tidy-file years):")
    for ind, m, both, agree, worst in cross_check(data, ours, tidy_first):
        print(f"   {ind} vs {m}: {both} compared, {agree} agree, largest gap {worst:.3g}")
        if agree < both:
            classes["DfE and LAIT disagree"].append(f"{ind} vs {m}")
    if args.api:
        n, ok, bad = api_check(args.api.rstrip("/"), ours, kinds)
        print(f"4. API (first and latest year of each indicator): {n} rows, {ok} equal")
        for cls, items in bad.items():
            classes[f"api: {cls}"].extend(items)
    unexplained = 0
    print("differences by class:")
    for cls, items in sorted(classes.items()):
        note = EXPLAINED.get(cls, "UNEXPLAINED")
        if cls not in EXPLAINED:
            unexplained += len(items)
        print(f"  {cls}: {len(items)} ({note})")
        for line in items[: args.show]:
            print(f"    {line}")
    if not classes:
        print("  none")
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(run(main, None, "audit_published.py"))
