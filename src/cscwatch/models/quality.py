"""Quality, cost and workforce: do spend and the workforce relate to the Ofsted grade?

For a year ``Y`` every authority is given the overall-effectiveness grade in force on
31 March ``Y`` (the last report published on or before it) and its year-``Y`` values of
the spend measures — section 251 gross outturn on safeguarding services (mostly social
work) per child aged 0–17 and per child in need at 31 March, LAIT's approximate weekly
social-work unit cost, and gross spend on children looked after per child looked after
on 31 March — and of the workforce measures (agency, vacancy and turnover rates,
caseload) of DfE's census of 30 September ``Y - 1``, the one that falls in year ``Y``
(lined up by ``models._data.ALIGNMENT``). Spend is read as the catalogue computes it.

For each measure:

* Spearman's rank correlation with the grade rank (1 outstanding … 4 inadequate;
  positive = higher values go with worse grades), 95% interval by a seeded
  percentile bootstrap over authorities;
* the mean by grade with a 95% bootstrap interval, and the difference
  Inadequate − Good with its interval;
* the Kruskal–Wallis test across grades.

These are associations across authorities in one year, not effects: the arrow may
point from the grade to the measure (an Inadequate judgement is often followed by
social workers leaving and agency staff filling posts), and the early-warning backtest
(``docs/methods/risk.md``) asks the forward-looking question instead.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import duckdb
import numpy as np
import pandas as pd
from scipy.stats import kruskal, spearmanr

from cscwatch.core.catalogue import CATALOGUE
from cscwatch.core.errors import InputError, UnknownYearError
from cscwatch.models._data import alignment_offset, load_judgements, load_panel
from cscwatch.models._results import dump, load, opt, percentile_ci

__all__ = ["MEASURES", "GroupMean", "MeasureResult", "QualityModel", "QualityResults"]

MEASURES = (
    "spend_safeguarding_per_child",
    "spend_safeguarding_per_cin",
    "spend_sw_commissioning_weekly_per_cin",
    "spend_per_looked_after_child",
    "agency_rate_pct",
    "vacancy_rate_pct",
    "turnover_rate_pct",
    "caseload",
)
_GRADES = {1: "outstanding", 2: "good", 3: "requires_improvement", 4: "inadequate"}


@dataclass(frozen=True)
class GroupMean:
    """Mean of a measure among authorities with one grade."""

    grade: str
    n: int
    mean: float | None
    lower: float | None
    upper: float | None


@dataclass(frozen=True)
class MeasureResult:
    """One measure against the grade in force."""

    measure: str
    n: int
    spearman: float | None
    spearman_lower: float | None
    spearman_upper: float | None
    spearman_p: float | None
    kruskal_h: float | None
    kruskal_p: float | None
    groups: tuple[GroupMean, ...]
    inadequate_minus_good: float | None
    diff_lower: float | None
    diff_upper: float | None
    period: str = ""  # the publisher's period of the values used (``30 September 2024``)


@dataclass(frozen=True)
class QualityResults:
    """Associations of spend and workforce with the grade in force (read-only)."""

    year: int
    as_at: date
    n_boot: int
    seed: int
    measures: tuple[MeasureResult, ...]

    def to_frame(self) -> pd.DataFrame:
        """One row per measure (group means left out)."""
        rows = [{k: v for k, v in dump(m).items() if k != "groups"} for m in self.measures]
        return pd.DataFrame(rows).set_index("measure")

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-able dict."""
        return dump(self)

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> QualityResults:
        """Inverse of :meth:`to_dict`."""
        return load(cls, data)

    @property
    def summary(self) -> str:
        """Plain-text table."""
        out = [f"Grade in force on {self.as_at} against year-{self.year} measures"]
        for m in self.measures:
            rho = "n/a" if m.spearman is None else f"{m.spearman:+.2f}"
            out.append(
                f"  {m.measure:<32} n={m.n:<4} Spearman {rho} "
                f"({m.spearman_lower}–{m.spearman_upper}) KW p={m.kruskal_p}"
            )
        return "\n".join(out)


def _boot_mean(x: np.ndarray, rng: np.random.Generator, n_boot: int) -> np.ndarray:
    if x.size == 0:
        return np.full(n_boot, np.nan)
    return np.asarray(rng.choice(x, size=(n_boot, x.size), replace=True).mean(axis=1))


class QualityModel:
    """``QualityModel(con, year).fit()`` → :class:`QualityResults`."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        year: int,
        *,
        n_boot: int = 1000,
        seed: int = 20260401,
    ) -> None:
        self.con, self.year, self.n_boot, self.seed = con, year, n_boot, seed

    def fit(self) -> QualityResults:
        """Compute every measure's statistics."""
        panel = load_panel(self.con, MEASURES)
        years = panel.index.get_level_values("year")
        if self.year not in set(years):
            raise UnknownYearError(
                f"no spend or workforce data for {self.year}; "
                f"years {int(years.min())}–{int(years.max())}"
            )
        as_at = date(self.year, 3, 31)
        j = load_judgements(self.con)
        done = j.loc[j["publication_date"] <= as_at].sort_values("publication_date")
        grade = done.groupby("la_code")["overall_rank"].last()
        if grade.empty:
            raise InputError(f"no Ofsted judgement was in force on {as_at}")
        data = panel.xs(self.year, level="year").join(grade.rename("grade"), how="inner")
        rng = np.random.default_rng(self.seed)
        out = []
        for m in MEASURES:
            d = data[[m, "grade"]].dropna()
            x, g = d[m].to_numpy(), d["grade"].to_numpy()
            used = CATALOGUE[m].year_label(self.year - alignment_offset(m))
            out.append(replace(self._measure(m, x, g, rng), period=used))
        return QualityResults(self.year, as_at, self.n_boot, self.seed, tuple(out))

    def _measure(
        self, name: str, x: np.ndarray, g: np.ndarray, rng: np.random.Generator
    ) -> MeasureResult:
        if x.size < 8:
            return MeasureResult(
                name, int(x.size), None, None, None, None, None, None, (), None, None, None
            )
        rho, p = spearmanr(x, g)
        idx = rng.integers(0, x.size, size=(self.n_boot, x.size))
        boots = np.array(
            [
                spearmanr(x[i], g[i])[0] if np.ptp(g[i]) > 0 and np.ptp(x[i]) > 0 else np.nan
                for i in idx
            ]
        )
        lo, hi = percentile_ci(boots)
        groups, samples = [], {}
        for k, label in _GRADES.items():
            xs = x[g == k]
            samples[k] = _boot_mean(xs, rng, self.n_boot)
            glo, ghi = percentile_ci(samples[k]) if xs.size >= 2 else (None, None)
            groups.append(
                GroupMean(label, int(xs.size), opt(xs.mean()) if xs.size else None, glo, ghi)
            )
        present = [x[g == k] for k in _GRADES if (g == k).sum() >= 2]
        h, kp = kruskal(*present) if len(present) >= 2 else (np.nan, np.nan)
        diff = None
        dlo = dhi = None
        if (g == 4).sum() >= 2 and (g == 2).sum() >= 2:
            diff = opt(x[g == 4].mean() - x[g == 2].mean())
            dlo, dhi = percentile_ci(samples[4] - samples[2])
        return MeasureResult(
            name,
            int(x.size),
            opt(rho),
            lo,
            hi,
            opt(p),
            opt(h),
            opt(kp),
            tuple(groups),
            diff,
            dlo,
            dhi,
        )
