"""An independent count of the published looked-after figures from SSDA903 CSV files.

Written for the synthetic returns' round-trip tests: it reads the CSVs with pandas (not
with cscwatch's reader or measures) and counts as DfE defines each figure, so the
simulation is checked against a second, separate reading of its own output.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

#: LAIT placement groups by PLACE code (DfE's 2024-25 placement codes).
GROUP_OF = {
    **{c: "lac_foster_pct" for c in ("U1", "U2", "U3", "U4", "U5", "U6")},
    **{c: "lac_childrens_homes_pct" for c in ("K1", "K2")},
    **{c: "lac_independent_living_pct" for c in ("H5", "P2")},
    **{c: "lac_other_residential_pct" for c in ("R1", "R2", "R5", "S1", "P3")},
    "P1": "lac_with_parents_pct",
    **{c: "lac_other_placement_pct" for c in ("A3", "A4", "A5", "A6", "Z1", "T0", "T1")},
}
NEW_PLACEMENT = ("S", "P", "T", "B")


def read(folder: Path) -> dict[str, pd.DataFrame]:
    """Every CSV of one return as text, keyed by file stem."""
    out = {}
    for path in sorted(folder.glob("*.csv")):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        for col in frame.columns:
            if col in ("DOB", "DECOM", "DEC", "MIS_START"):
                frame[col + "_d"] = pd.to_datetime(frame[col], format="%d/%m/%Y", errors="coerce")
        out[path.stem] = frame
    return out


def count(returns: dict[int, dict[str, pd.DataFrame]], year: int) -> dict[str, float]:
    """The figures for ``year`` (ending 31 March) from that year's return and earlier ones."""
    s, e = pd.Timestamp(date(year - 1, 4, 1)), pd.Timestamp(date(year, 3, 31))
    ep = returns[year]["episodes"]
    open31 = ep[ep["DEC"] == ""]
    starts = ep[(ep["RNE"] == "S") & ep["DECOM_d"].between(s, e)]
    ceased = ep[(ep["REC"] != "") & (ep["REC"] != "X1") & ep["DEC_d"].between(s, e)]
    out: dict[str, float] = {
        "at31": open31["CHILD"].nunique(),
        "starts": starts["CHILD"].nunique(),
        "ceased": ceased["CHILD"].nunique(),
        "adopted": ceased[ceased["REC"].isin(["E11", "E12"])]["CHILD"].nunique(),
        "sgo": ceased[ceased["REC"].isin(["E45", "E46"])]["CHILD"].nunique(),
    }
    groups = open31["PLACE"].map(GROUP_OF).value_counts()
    for g in sorted(set(GROUP_OF.values())):
        out[g] = int(groups.get(g, 0))
    # Three or more placements in the year, of children looked after on 31 March: the
    # placement held on 1 April (an episode begun before it) plus each new placement.
    mine = ep[ep["CHILD"].isin(open31["CHILD"])]
    held = mine[mine["DECOM_d"] < s].groupby("CHILD").size().clip(upper=1)
    new = mine[(mine["DECOM_d"] >= s) & mine["RNE"].isin(NEW_PLACEMENT)].groupby("CHILD").size()
    placements = held.add(new, fill_value=0)
    out["three_plus"] = int((placements >= 3).sum())
    # Same placement for two years: under 16 on 31 March, looked after 2.5 years or more
    # (the earliest episode seen in any return given), current placement 2 years or more.
    every = pd.concat([r["episodes"] for y, r in returns.items() if y <= year])
    every = every[every["CHILD"].isin(open31["CHILD"])]
    first = every.groupby("CHILD")["DECOM_d"].min()
    moved = every[every["RNE"].isin(NEW_PLACEMENT)].groupby("CHILD")["DECOM_d"].max()
    placed_since = moved.combine_first(first)
    header = returns[year]["header"].set_index("CHILD")
    dob = pd.to_datetime(header["DOB"], format="%d/%m/%Y")
    ages = (e - dob.reindex(open31["CHILD"].unique())).dt.days / 365.25
    long_term = first[first <= e - pd.Timedelta(days=int(2.5 * 365.25))].index
    eligible = [c for c in long_term if ages.get(c, 99) < 16]
    stable = [c for c in eligible if placed_since[c] <= e - pd.Timedelta(days=730)]
    out["same_carer_eligible"] = len(eligible)
    out["same_carer_share"] = len(stable) / len(eligible) if eligible else float("nan")
    header_children = returns[year]["header"]["CHILD"].nunique()
    out["missing_share"] = returns[year]["missing"]["CHILD"].nunique() / header_children
    return out
