"""Published figures a synthetic CIN census return is calibrated to.

One authority and one year of the DfE "Children in need" tidy files in the snapshot
(b1 episodes, c1 referrals, c3 factors, d3 plans started, d5 plans at 31 March by
length) and the LAIT rates (section 47 enquiries and initial conferences per 10,000
children, conferences within 15 working days, assessments within 45 working days)
turned into whole-number targets. A suppressed or missing figure (``c``, ``x``, ``z``,
``u``, ``k``) is never read as zero: it is replaced by the national rate for that year
applied to the authority's own base, and the replacement is recorded in
``SynthTargets.imputed``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from cscwatch.core.errors import SourceFileError, UnknownYearError
from cscwatch.indicators.authorities import resolve_authority_name
from cscwatch.indicators.cin_layouts import FACTOR_COLUMNS, PLAN_LENGTH_COLUMNS

__all__ = [
    "PublishedFigures",
    "SynthTargets",
]

_FILES = {
    "b1": "b1_children_in_need_2013_to_2025.csv",
    "c1": "c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv",
    "c3": "c3_factors_identified_at_end_of_assessment_2018_to_2025.csv",
    "d3": "d3_cpps_subsequent_plan_2013_to_2025.csv",
    "d5": "d5_cpps_at31march_by_duration_2013_to_2025.csv",
    "pop": "ons_mid-year_population_estimates_2012_to_2024.csv",
    "lait": "bds_long_0.parquet",
}

_LAIT = {
    "s47_rate": "Section_47",
    "icpc_rate": "ISCP_Conf",
    "icpc_15_pct": "CP_conf_15days",
    "assess_45_pct": "Continue_Assess_Comp",
}


#: The figures :meth:`PublishedFigures.of` read last, by folder and file stamps.
_READ: dict[tuple[Path, tuple[tuple[str, tuple[int, int] | None], ...]], PublishedFigures] = {}


@dataclass(frozen=True)
class SynthTargets:
    """Whole-number targets for one authority and year.

    Counts follow the published definitions (see :mod:`cscwatch.childlevel.cin.measures`).
    ``imputed`` names the targets that were suppressed or missing in the published file
    and were filled from national rates.
    """

    la_code: str
    la_name: str
    gss_code: str
    region_code: str
    region_name: str
    year: int
    referrals: int
    rereferrals: int
    nfa: int
    not_in_need: int
    referral_children: int
    rereferral_children: int
    anypoint_episodes: int
    ended_episodes: int
    at31_episodes: int
    awaiting_assessment: int
    cpp_starts: int
    cpp_subsequent: int
    cpp_at31_bands: tuple[int, int, int, int, int]
    section47: int
    icpc: int
    icpc_15_share: float
    assess_45_share: float
    factor_episodes: int
    factor_counts: dict[str, int]
    population: int
    imputed: tuple[str, ...] = field(default=())

    @property
    def started_episodes(self) -> int:
        """Episodes starting in the year: referrals less NFA and assessed not in need."""
        return max(0, self.referrals - self.nfa - self.not_in_need)


def _num(value: object) -> float:
    # Publisher's symbols and blanks become NaN, never zero.
    try:
        return float(str(value).replace(",", ""))
    except (TypeError, ValueError):
        return float("nan")


class PublishedFigures:
    """The published tidy files of a snapshot, read once, answering per authority and year.

    Parameters
    ----------
    snapshot_dir : Path
        The snapshot folder holding the DfE tidy CSVs and the LAIT parquet.
    """

    def __init__(self, snapshot_dir: Path) -> None:
        self.snapshot_dir = Path(snapshot_dir)
        for key in ("b1", "c1", "d3", "d5"):
            if not (self.snapshot_dir / _FILES[key]).is_file():
                raise SourceFileError(
                    "published file missing", path=str(self.snapshot_dir / _FILES[key])
                )

    @classmethod
    def of(cls, snapshot_dir: Path) -> PublishedFigures:
        """The figures of ``snapshot_dir``, read once per process while its files are
        unchanged (the same path, and each file's size and modification time): each
        ``cin synth`` run in a process (tests run the CLI in theirs) read every tidy
        file and the LAIT parquet again, about 0.3 s of CPU. Instances are only read."""
        folder = Path(snapshot_dir).resolve()
        stamp: list[tuple[str, tuple[int, int] | None]] = []
        for name in _FILES.values():
            try:
                st = (folder / name).stat()
            except OSError:
                stamp.append((name, None))
            else:
                stamp.append((name, (st.st_size, st.st_mtime_ns)))
        key = (folder, tuple(stamp))
        found = _READ.get(key)
        if found is None:
            found = cls(snapshot_dir)
            _READ.clear()  # one snapshot's figures kept, not every one ever read
            _READ[key] = found
        return found

    def _csv(self, key: str) -> pd.DataFrame:
        path = self.snapshot_dir / _FILES[key]
        if not path.is_file():
            return pd.DataFrame()
        try:
            df = pd.read_csv(path, dtype=str, keep_default_na=False)
        except (OSError, ValueError) as exc:
            raise SourceFileError(f"cannot read: {exc}", path=str(path)) from None
        df["time_period"] = df["time_period"].astype(int)
        return df

    @cached_property
    def _tables(self) -> dict[str, pd.DataFrame]:
        return {k: self._csv(k) for k in ("b1", "c1", "c3", "d3", "d5", "pop")}

    @cached_property
    def _lait(self) -> pd.DataFrame:
        path = self.snapshot_dir / _FILES["lait"]
        if not path.is_file():
            return pd.DataFrame(columns=["key", "year", "la_code", "value"])
        df = pd.read_parquet(path, columns=["Short Desc", "Years", "LA Number", "Values"])
        df = df[df["Short Desc"].isin(list(_LAIT.values()))]
        out = pd.DataFrame(
            {
                "key": df["Short Desc"].to_numpy(),
                "year": pd.to_numeric(df["Years"], errors="coerce"),
                "la_code": df["LA Number"].map(lambda v: "" if pd.isna(v) else f"{int(v):03d}"),
                "value": df["Values"].map(_num),
            }
        )
        return out.dropna(subset=["year"])

    def years(self) -> list[int]:
        """Reporting years with referral figures."""
        return sorted(self._tables["c1"]["time_period"].unique().tolist())

    def authorities(self, year: int) -> list[str]:
        """LA numbers with a referral row in ``year``, in file order."""
        c1 = self._tables["c1"]
        rows = c1[(c1.time_period == year) & (c1.geographic_level == "Local authority")]
        return [c for c in rows["old_la_code"].tolist() if c]

    def resolve(self, authority: str, year: int) -> str:
        """The LA number for a name, GSS code or LA number reporting in ``year``.

        Raises
        ------
        UnknownYearError
            When there are no published referral figures for ``year``.
        UnknownAuthorityError
            With close names as suggestions (the product's one matcher,
            :func:`cscwatch.indicators.authorities.resolve_authority_name`: "Hull" and
            "Telford" name one authority each; "Kingston" lists its two).
        """
        if year not in self.years():
            raise UnknownYearError(
                f"no published children in need figures for {year}; "
                f"years available: {min(self.years())} to {max(self.years())}"
            )
        c1 = self._tables["c1"]
        rows = c1[(c1.time_period == year) & (c1.geographic_level == "Local authority")]
        given = authority.strip().lower()
        hit = rows[rows["new_la_code"].str.lower() == given]
        if len(hit):
            return str(hit["old_la_code"].iloc[0])
        names = dict(zip(rows["old_la_code"].astype(str), rows["la_name"].astype(str), strict=True))
        return resolve_authority_name(authority, names)

    @cached_property
    def _first(self) -> dict[str, dict[tuple[int, str], int]]:
        # Per table, (year, LA number or "" for the national row) → the position of its
        # first row: each look-up a dict's, not a scan of the whole file (targets() makes
        # ten, ~60 ms of scans each time).
        out: dict[str, dict[tuple[int, str], int]] = {}
        for key, df in self._tables.items():
            first: dict[tuple[int, str], int] = {}
            if not df.empty:
                rows = zip(
                    df["time_period"], df["geographic_level"], df["old_la_code"], strict=True
                )
                for i, (year, level, la) in enumerate(rows):
                    if level == "Local authority":
                        first.setdefault((int(year), la), i)
                    elif level == "National":
                        first.setdefault((int(year), ""), i)
            out[key] = first
        return out

    def _row(self, key: str, la_code: str, year: int) -> pd.Series | None:
        df = self._tables[key]
        if df.empty:
            return None
        at = self._first[key].get((year, la_code))
        return None if at is None else df.iloc[at]

    def _national(self, key: str, year: int) -> pd.Series | None:
        df = self._tables[key]
        if df.empty:
            return None
        at = self._first[key].get((year, ""))
        if at is None:
            # Fall back to the nearest year that has a national row (c3 starts in 2018).
            nat = df[df.geographic_level == "National"]
            if nat.empty:
                return None
            nearest = nat.iloc[(nat.time_period - year).abs().argsort()[:1]]
            return nearest.iloc[0]
        return df.iloc[at]

    @cached_property
    def _lait_first(self) -> dict[tuple[str, float, str], float]:
        # (indicator, year, LA number) → the value of its first LAIT row.
        df = self._lait
        first: dict[tuple[str, float, str], float] = {}
        for k, y, la, v in zip(df["key"], df["year"], df["la_code"], df["value"], strict=True):
            first.setdefault((k, y, la), v)
        return first

    def _lait_value(self, key: str, la_code: str, year: int) -> float:
        df = self._lait
        short = _LAIT[key]
        found = self._lait_first.get((short, year, la_code))
        value = float("nan") if found is None else float(found)
        if np.isnan(value) or value <= 0:
            # The national value is the LA-less row; otherwise the median of authorities.
            same = df[(df.key == short) & (df.year == year) & df.value.notna() & (df.value > 0)]
            if same.empty:
                same = df[(df.key == short) & df.value.notna() & (df.value > 0)]
            return float(same["value"].median()) if len(same) else float("nan")
        return value

    @cached_property
    def _populations(self) -> dict[str, pd.DataFrame]:
        # LA number → its authority rows of the population file, in file order, with
        # the estimate as a number (``v``) where there is one: split once, not per call.
        pop = self._tables["pop"]
        if pop.empty:
            return {}
        rows = pop[pop.geographic_level == "Local authority"]
        rows = rows.assign(v=rows["population_estimate"].map(_num)).dropna(subset=["v"])
        return {str(la): part for la, part in rows.groupby("old_la_code", sort=False)}

    def population(self, la_code: str, year: int) -> float:
        """Children aged 0 to 17 (the mid-year estimate before the reporting year ends)."""
        if self._tables["pop"].empty:
            return float("nan")
        rows = self._populations.get(la_code)
        if rows is None or rows.empty:
            return float("nan")
        best = rows.iloc[(rows.time_period - (year - 1)).abs().argsort()[:1]]
        return float(best["v"].iloc[0])

    def targets(self, authority: str, year: int) -> SynthTargets:
        """Targets for one authority (name, GSS code or LA number) and year."""
        la = self.resolve(authority, year)
        imputed: list[str] = []
        c1, c1n = self._row("c1", la, year), self._national("c1", year)
        b1, b1n = self._row("b1", la, year), self._national("b1", year)
        d3, d3n = self._row("d3", la, year), self._national("d3", year)
        d5, d5n = self._row("d5", la, year), self._national("d5", year)
        c3, c3n = self._row("c3", la, year), self._national("c3", year)
        assert c1 is not None and c1n is not None  # resolve() found the c1 row

        def get(
            row: pd.Series | None,
            nat: pd.Series | None,
            col: str,
            base: float,
            nat_base: float,
            name: str,
        ) -> int:
            v = _num(row[col]) if row is not None and col in row else float("nan")
            if np.isnan(v):
                imputed.append(name)
                nv = _num(nat[col]) if nat is not None and col in nat else float("nan")
                v = base * nv / nat_base if nat_base and not np.isnan(nv) else 0.0
            return round(max(v, 0.0))

        nat_ref = _num(c1n["referral_count"])
        ref_raw = _num(c1["referral_count"])
        if np.isnan(ref_raw):
            raise UnknownYearError(f"referrals for {la} in {year} are not published")
        referrals = int(ref_raw)
        r = float(referrals)

        def c1get(col: str, name: str) -> int:
            return get(c1, c1n, col, r, nat_ref, name)

        rereferrals = c1get("rereferral_count", "rereferrals")
        nfa = c1get("no_further_action_count", "nfa")
        nin = c1get("not_in_need_count", "not_in_need")
        ref_children = min(referrals, c1get("referral_child_count", "referral_children"))
        rr_children = min(rereferrals, c1get("rereferral_child_count", "rereferral_children"))
        if nfa + nin > referrals:
            nin = max(0, referrals - nfa)
        nat_b1_start = _num(b1n["Started_episodes"]) if b1n is not None else float("nan")
        started = referrals - nfa - nin

        def b1get(col: str, name: str) -> int:
            return get(b1, b1n, col, float(started), nat_b1_start, name)

        anypoint = max(b1get("Anypoint_episodes", "anypoint_episodes"), started)
        ended = min(b1get("Ended_episodes", "ended_episodes"), anypoint)
        at31 = anypoint - ended
        awaiting = min(b1get("awaiting_assessment", "awaiting_assessment"), at31)

        pop = self.population(la, year)
        if np.isnan(pop):
            imputed.append("population")
            nat_pop = 12_000_000.0
            pop = nat_pop * r / nat_ref
        s47 = round(self._lait_value("s47_rate", la, year) * pop / 10_000)
        icpc = round(self._lait_value("icpc_rate", la, year) * pop / 10_000)
        icpc15 = self._lait_value("icpc_15_pct", la, year) / 100.0
        assess45 = self._lait_value("assess_45_pct", la, year) / 100.0

        nat_cpp = _num(d3n["CPP_start"]) if d3n is not None else float("nan")
        cpp_start = get(d3, d3n, "CPP_start", r, nat_ref, "cpp_starts")
        cpp_sub = min(
            cpp_start,
            get(d3, d3n, "CPP_subsequent", float(cpp_start), nat_cpp, "cpp_subsequent"),
        )
        nat_at31 = _num(d5n["CPP_At31"]) if d5n is not None else float("nan")
        at31_cpp = get(d5, d5n, "CPP_At31", r, nat_ref, "cpp_at31")
        bands = [
            get(d5, d5n, col, float(at31_cpp), nat_at31, f"cpp_at31_{col}")
            for col in PLAN_LENGTH_COLUMNS
        ]
        # Suppressed bands were filled from national shares; make them add up again.
        diff = at31_cpp - sum(bands)
        bands[int(np.argmax(bands))] = max(0, bands[int(np.argmax(bands))] + diff)

        nat_fe = _num(c3n["Episodes_with_assessment_factor"]) if c3n is not None else float("nan")
        factor_eps = get(c3, c3n, "Episodes_with_assessment_factor", r, nat_ref, "factor_episodes")
        factors = {
            col: get(c3, c3n, col, float(factor_eps), nat_fe, f"factor_{col}")
            for col in FACTOR_COLUMNS
        }
        return SynthTargets(
            la_code=la,
            la_name=str(c1["la_name"]),
            gss_code=str(c1["new_la_code"]),
            region_code=str(c1["region_code"]),
            region_name=str(c1["region_name"]),
            year=year,
            referrals=referrals,
            rereferrals=rereferrals,
            nfa=nfa,
            not_in_need=nin,
            referral_children=ref_children,
            rereferral_children=rr_children,
            anypoint_episodes=anypoint,
            ended_episodes=ended,
            at31_episodes=at31,
            awaiting_assessment=awaiting,
            cpp_starts=cpp_start,
            cpp_subsequent=cpp_sub,
            cpp_at31_bands=(bands[0], bands[1], bands[2], bands[3], bands[4]),
            section47=s47,
            icpc=icpc,
            icpc_15_share=float(np.clip(icpc15 if not np.isnan(icpc15) else 0.8, 0, 1)),
            assess_45_share=float(np.clip(assess45 if not np.isnan(assess45) else 0.85, 0, 1)),
            factor_episodes=factor_eps,
            factor_counts=factors,
            population=round(pop),
            imputed=tuple(imputed),
        )
