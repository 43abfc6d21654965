"""A linked multi-year panel of synthetic CIN census returns, written atomically.

For each authority, consecutive years are simulated one after another
(:func:`cscwatch.synth.cin.simulation.synthesise`), each calibrated to that year's
published figures, and the children persist:

* every episode open at 31 March is the next year's episode open on 1 April, with the
  same ``LAchildID``, UPN, birth date, sex, ethnicity and disabilities, the same
  referral date, need and source, and its open child protection plan (same start,
  categories and number of previous plans);
* the year's re-referrals of children whose episode was open on 1 April come from
  carried episodes referred within the last 12 months (closed this year before the
  new referral), so the published re-referral count holds with history loaded;
* some children new to a year are children known before (:data:`RETURNING_SHARE`, not
  calibrated): only ones whose last referral was more than 12 months earlier (which
  keeps the re-referral count), and those starting a plan the simulation marked
  second or subsequent are, where possible, children who had a plan before — these are
  the panel's repeat plans. ``NumberOfPreviousCPP`` never falls below the plans the
  panel has given a child, and the published count of second or subsequent plans is
  kept by moving the mark between plans that started this year.

What changes from a single year: the episodes open on 1 April are the previous year's
open at 31 March, so the episodes at any point and those ended are derived (the
published ones are not reproduced exactly); plans of a year or more at 31 March are the
carried ones still open. CIN plans are not carried (each year draws its own).

An authority lacking published referrals for a year (Herefordshire 2024) or not
existing in it (reorganised authorities) is skipped for that year and listed; its other
years run as separate panels of consecutive years (children do not link across the
gap, and no UPN of the earlier run is given again). Files go to a staging folder beside
``out``, renamed into place only when every file and the manifest (:data:`MANIFEST`)
are written.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from cscwatch.core.errors import InputError, UnknownAuthorityError, UnknownYearError
from cscwatch.core.progress import ProgressCallback, report
from cscwatch.synth.cin.errors import inject
from cscwatch.synth.cin.simulation import NA, Carry, SyntheticReturn, synthesise
from cscwatch.synth.cin.targets import PublishedFigures, SynthTargets
from cscwatch.synth.cin.writer import TextReturn, render, to_text, upns

__all__ = [
    "MANIFEST",
    "RETURNING_SHARE",
    "PanelRun",
    "PanelYear",
    "authority_panel",
    "write_panel",
]

#: Written beside the returns: what was written and what was skipped, and why.
MANIFEST = "cscwatch-synth-manifest.json"
#: Share of the children new to a year who were known to the authority before (their
#: last referral more than 12 months earlier). Plausible, not calibrated: no published
#: figure gives it.
RETURNING_SHARE = 0.25
#: A year has 365 or 366 days; a referral more than this many days after the last one
#: is never within 12 months of it.
_TWELVE_MONTHS = 366
#: Oldest a child can be at 31 March (days) to be simulated (as the simulation's births).
_OLDEST = 6500
#: UPNs set aside for each run of consecutive years of one authority: a run after a gap
#: (Herefordshire's 2024, say) numbers its children from here on, never reusing a UPN.
_RUN_UPNS = 10_000_000


@dataclass(frozen=True)
class PanelYear:
    """One written return of a panel: one authority, one year."""

    path: Path
    la_code: str
    la_name: str
    year: int
    children: int
    referrals: int
    carried_children: int
    returning_children: int
    injected: tuple[str, ...]
    targets: SynthTargets

    def to_dict(self) -> dict[str, Any]:
        """Plain values for JSON."""
        return {
            "file": self.path.name,
            "la_code": self.la_code,
            "la_name": self.la_name,
            "year": self.year,
            "children": self.children,
            "referrals": self.referrals,
            "carried_children": self.carried_children,
            "returning_children": self.returning_children,
            "injected": list(self.injected),
        }


@dataclass(frozen=True)
class PanelRun:
    """What one call wrote (into ``out``), and which authority-years it skipped and why."""

    out: Path
    seed: int
    years: tuple[int, ...]
    returns: tuple[PanelYear, ...]
    skipped: tuple[tuple[str, int, str], ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """Plain values for JSON (the manifest's content)."""
        return {
            "out": str(self.out),
            "seed": self.seed,
            "years": list(self.years),
            "returns": [r.to_dict() for r in self.returns],
            "skipped": [{"authority": a, "year": y, "reason": why} for a, y, why in self.skipped],
        }

    @property
    def summary(self) -> str:
        """One line for the run, then one per skipped authority-year."""
        lines = [
            f"{len(self.returns)} synthetic CIN census returns for "
            f"{len({r.la_code for r in self.returns})} authorities, "
            f"{min(self.years)} to {max(self.years)}, in {self.out}"
        ]
        lines += [f"skipped {a} {y}: {why}" for a, y, why in self.skipped]
        return "\n".join(lines)


class _Registry:
    """The children of one authority's panel so far (one row per child)."""

    def __init__(self, la_code: str) -> None:
        self.la_code = la_code
        self.child_id = np.zeros(0, dtype=object)
        self.upn = np.zeros(0, dtype=object)
        self.birth = np.zeros(0, dtype=np.int64)
        self.sex = np.zeros(0, dtype=object)
        self.ethnicity = np.zeros(0, dtype=object)
        self.last_ref = np.zeros(0, dtype=np.int64)
        self.plans = np.zeros(0, dtype=np.int64)  # plans known before (max previous + 1)
        self.d_child = np.zeros(0, dtype=np.int64)
        self.d_code = np.zeros(0, dtype=object)
        self.upns_made = 0
        self._serials: dict[int, int] = {}  # children first seen per year

    def __len__(self) -> int:
        return len(self.child_id)

    def add(self, ret: SyntheticReturn, rows: np.ndarray, year: int) -> np.ndarray:
        """New children for ``rows`` of ``ret``'s child table; returns their numbers."""
        start = len(self)
        n = len(rows)
        serial = np.arange(n) + 1 + self._serials.get(year, 0)
        self._serials[year] = self._serials.get(year, 0) + n
        self.child_id = np.concatenate(
            [
                self.child_id,
                np.array([f"SYN{self.la_code}{year % 100:02d}{s:07d}" for s in serial], object),
            ]
        )
        self.upn = np.concatenate([self.upn, np.full(n, None, dtype=object)])
        self.birth = np.concatenate([self.birth, ret.child["birth"][rows]])
        self.sex = np.concatenate([self.sex, ret.child["sex"][rows]])
        self.ethnicity = np.concatenate([self.ethnicity, ret.child["ethnicity"][rows]])
        self.last_ref = np.concatenate([self.last_ref, np.full(n, NA, dtype=np.int64)])
        self.plans = np.concatenate([self.plans, np.zeros(n, dtype=np.int64)])
        new = start + np.arange(n)
        number = np.full(len(ret.child["birth"]), -1, dtype=np.int64)
        number[rows] = new
        d = ret.disability
        keep = number[d["child"]] >= 0
        self.d_child = np.concatenate([self.d_child, number[d["child"][keep]]])
        self.d_code = np.concatenate([self.d_code, d["code"][keep]])
        return new


def _pair(
    rng: np.random.Generator,
    kids: np.ndarray,
    kid_first: np.ndarray,
    pool: np.ndarray,
    pool_last: np.ndarray,
    want: int,
) -> tuple[np.ndarray, np.ndarray]:
    # Random kids and random earlier children, paired in date order; a pair is kept
    # only when the child's last referral is more than 12 months before the kid's first.
    k = int(min(want, len(kids), len(pool)))
    if k == 0:
        return kids[:0], pool[:0]
    ks = rng.choice(len(kids), size=k, replace=False)
    ps = rng.choice(len(pool), size=k, replace=False)
    ks = ks[np.argsort(kid_first[ks], kind="stable")]
    ps = ps[np.argsort(pool_last[ps], kind="stable")]
    ok = pool_last[ps] < kid_first[ks] - _TWELVE_MONTHS
    return kids[ks[ok]], pool[ps[ok]]


def _identify(
    rng: np.random.Generator, reg: _Registry, ret: SyntheticReturn, carry_ids: np.ndarray | None
) -> tuple[np.ndarray, int, int]:
    """Each child's number in the registry: carried, returning or new."""
    t = ret.targets
    n = len(ret.child["birth"])
    ident = np.full(n, -1, dtype=np.int64)
    if carry_ids is not None and ret.child_carry is not None:
        has = ret.child_carry >= 0
        ident[has] = carry_ids[ret.child_carry[has]]
    carried = int((ident >= 0).sum())
    ep_child = ret.episode["child"]
    first = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, ep_child, ret.episode["ref"])
    cpp = ret.cpp
    started = cpp["start"] >= ret.year_start
    plan_child = ep_child[cpp["episode"]]
    sub_kid = np.zeros(n, dtype=bool)
    first_kid = np.zeros(n, dtype=bool)
    sub_kid[plan_child[started & (cpp["previous"] >= 1)]] = True
    first_kid[plan_child[started & (cpp["previous"] == 0)]] = True
    free = np.ones(len(reg), dtype=bool)
    free[ident[ident >= 0]] = False
    free &= reg.birth >= ret.reference - _OLDEST
    returning = 0
    new = ident < 0
    for kids_mask, pool_mask, share in (
        (new & sub_kid & ~first_kid, free & (reg.plans >= 1), 1.0),
        (new & first_kid, free & (reg.plans == 0), RETURNING_SHARE),
        (new & ~sub_kid & ~first_kid, free, RETURNING_SHARE),
    ):
        kids = np.flatnonzero(kids_mask & (ident < 0))
        pool = np.flatnonzero(pool_mask & free)
        k, p = _pair(rng, kids, first[kids], pool, reg.last_ref[pool], round(share * len(kids)))
        ident[k] = p
        free[p] = False
        returning += len(k)
    fresh = np.flatnonzero(ident < 0)
    ident[fresh] = reg.add(ret, fresh, t.year)
    return ident, carried, returning


def _apply(ret: SyntheticReturn, reg: _Registry, ident: np.ndarray, seed: int) -> np.ndarray:
    """Give the return its children's attributes; returns each child's UPN (or None)."""
    t = ret.targets
    ret.child["birth"] = reg.birth[ident]
    ret.child["sex"] = reg.sex[ident]
    ret.child["ethnicity"] = reg.ethnicity[ident]
    school = (ret.reference - ret.child["birth"]) >= 4 * 365 + 1
    ret.child["school_age"] = school
    need = np.flatnonzero(school & np.array([u is None for u in reg.upn[ident]], dtype=bool))
    # The same random stream as a single year's UPNs (writer.to_text), numbered on.
    rng = np.random.default_rng([seed, int(t.la_code), t.year, 7])
    reg.upn[ident[need]] = upns(rng, len(need), t.la_code, start=reg.upns_made)
    reg.upns_made += len(need)
    number = np.full(len(reg), -1, dtype=np.int64)
    number[ident] = np.arange(len(ident))
    keep = np.flatnonzero(number[reg.d_child] >= 0)
    rows = keep[np.argsort(number[reg.d_child[keep]], kind="stable")]
    ret.disability = {"child": number[reg.d_child[rows]], "code": reg.d_code[rows]}
    return np.asarray(reg.upn[ident], dtype=object)


def _previous_plans(
    rng: np.random.Generator, reg: _Registry, ret: SyntheticReturn, ident: np.ndarray
) -> None:
    """Keep ``NumberOfPreviousCPP`` at or above the plans each child had before."""
    cpp = ret.cpp
    prev = cpp["previous"]
    who = ident[ret.episode["child"][cpp["episode"]]]
    started = cpp["start"] >= ret.year_start
    need = np.zeros(len(prev), dtype=np.int64)
    last, acc = -1, 0
    for j in np.lexsort((cpp["start"], who)):
        if who[j] != last:
            last, acc = int(who[j]), int(reg.plans[who[j]])
        if started[j]:
            need[j] = acc
        acc = max(acc, int(max(prev[j], need[j])) + 1)
    required = started & (need >= 1)
    marked = started & (prev >= 1)
    # Move the second-or-subsequent mark from plans that need not have it, so the
    # published count still holds.
    add = int((required & ~marked).sum())
    drop = _take(rng, np.flatnonzero(marked & ~required), add)
    prev[drop] = 0
    prev[required] = np.maximum(np.maximum(prev[required], need[required]), 1)
    np.maximum.at(reg.plans, who, prev + 1)


def _take(rng: np.random.Generator, pool: np.ndarray, k: int) -> np.ndarray:
    k = min(k, len(pool))
    return rng.choice(pool, size=k, replace=False) if k else pool[:0]


def _carry(ret: SyntheticReturn, ident: np.ndarray, reg: _Registry) -> tuple[Carry, np.ndarray]:
    """The episodes open at 31 March, and the registry number of each one's child."""
    ep, cpp = ret.episode, ret.cpp
    open_ep = np.flatnonzero(ep["close"] == NA)
    at = np.full(len(ep["ref"]), -1, dtype=np.int64)
    at[open_ep] = np.arange(len(open_ep))
    n = len(open_ep)
    start = np.full(n, NA, dtype=np.int64)
    initial = np.full(n, None, dtype=object)
    latest = np.full(n, None, dtype=object)
    previous = np.zeros(n, dtype=np.int64)
    op = np.flatnonzero((cpp["end"] == NA) & (at[cpp["episode"]] >= 0))
    row = at[cpp["episode"][op]]
    start[row], initial[row] = cpp["start"][op], cpp["initial"][op]
    latest[row], previous[row] = cpp["latest"][op], cpp["previous"][op]
    carry = Carry(
        ref=ep["ref"][open_ep],
        need=ep["need"][open_ep],
        source=ep["source"][open_ep],
        plan_start=start,
        plan_initial=initial,
        plan_latest=latest,
        plan_previous=previous,
        had_plan=reg.plans[ident[ep["child"][open_ep]]] >= 1,
    )
    return carry, ident[ep["child"][open_ep]]


def _linked_targets(t: SynthTargets, carried: int) -> SynthTargets:
    # Episodes open on 1 April are the carried ones: episodes at any point and ended
    # follow from them (started and at 31 March stay as published).
    anypoint = t.started_episodes + carried
    return replace(t, anypoint_episodes=anypoint, ended_episodes=max(0, anypoint - t.at31_episodes))


def authority_panel(
    targets: Sequence[SynthTargets],
    seed: int,
    holidays: np.ndarray,
    inject_rules: list[str] | None = None,
    first_upn: int = 0,
) -> Iterator[tuple[SynthTargets, TextReturn, int, int]]:
    """Simulate consecutive years of one authority as one population of children.

    Parameters
    ----------
    targets : sequence of SynthTargets
        One authority's targets for consecutive years, oldest first.
    seed : int
        Same seed and targets → identical returns; the first year is the single-year
        return of the same seed.
    holidays : array of datetime64[D]
        England and Wales bank holidays.
    inject_rules : list of str, optional
        Validation rule codes to break in every year's return.
    first_upn : int
        Number of the first UPN the panel gives (:func:`~cscwatch.synth.cin.writer.upns`):
        0 for an authority's first run of years, higher for a run after a gap so that
        no two of its children share a UPN.

    Yields
    ------
    targets, text, carried_children, returning_children
        Each year's targets (episodes at any point and ended as linked), its text
        columns, and how many of its children were carried or came back.
    """
    if not targets:
        return
    years = [t.year for t in targets]
    if years != list(range(years[0], years[0] + len(years))):
        raise InputError(f"years must be consecutive, got {years}")
    reg = _Registry(targets[0].la_code)
    reg.upns_made = first_upn
    rng = np.random.default_rng([seed, int(targets[0].la_code), 15])
    carry: Carry | None = None
    carry_ids: np.ndarray | None = None
    for t in targets:
        if carry is not None:
            t = _linked_targets(t, len(carry))
        ret = synthesise(t, seed, holidays, carry)
        ident, carried, returning = _identify(rng, reg, ret, carry_ids)
        upn = _apply(ret, reg, ident, seed)
        _previous_plans(rng, reg, ret, ident)
        np.maximum.at(reg.last_ref, ident[ret.episode["child"]], ret.episode["ref"])
        text = to_text(ret, (reg.child_id[ident], upn))
        if inject_rules:
            inject(text, inject_rules, seed)
        yield t, text, carried, returning
        carry, carry_ids = _carry(ret, ident, reg)


def _segments(years: list[int]) -> list[list[int]]:
    out: list[list[int]] = []
    for y in years:
        if out and out[-1][-1] == y - 1:
            out[-1].append(y)
        else:
            out.append([y])
    return out


def _referrals(text: TextReturn) -> int:
    ep = text.tables["episode"]
    return int((np.array([r is not None for r in ep["ref"]], dtype=bool) & (ep["kind"] <= 3)).sum())


def _merge_manifest(old: Path, run: PanelRun) -> dict[str, Any]:
    # Returns written before into the same folder stay listed unless overwritten now, and
    # so do the authority-years skipped before unless this run wrote or skipped them.
    new = run.to_dict()
    try:
        before = json.loads(old.read_text(encoding="utf-8"))
        kept = [r for r in before.get("returns", []) if isinstance(r, dict)]
        skipped = [s for s in before.get("skipped", []) if isinstance(s, dict)]
    except (OSError, ValueError):
        kept, skipped = [], []
    names = {r["file"] for r in new["returns"]}
    new["returns"] = [r for r in kept if r.get("file") not in names] + new["returns"]
    now = {(r["la_code"], r["year"]) for r in new["returns"] if r.get("file") in names}
    now |= {(s["authority"], s["year"]) for s in new["skipped"]}
    earlier = [s for s in skipped if (s.get("authority"), s.get("year")) not in now]
    new["skipped"] = earlier + new["skipped"]
    return new


def write_panel(
    figures: PublishedFigures,
    authorities: Sequence[str],
    years: Sequence[int],
    seed: int,
    out: Path,
    inject_rules: list[str] | None = None,
    progress: ProgressCallback | None = None,
) -> PanelRun:
    """Write a linked panel: ``cin_<LA>_<year>_seed<seed>.xml`` for each authority-year.

    Parameters
    ----------
    figures : PublishedFigures
        The snapshot's published figures.
    authorities : sequence of str
        LA numbers, names or GSS codes.
    years : sequence of int
        Consecutive reporting years (one year: the single-year returns).
    seed : int
        Same inputs and seed → byte-identical files.
    out : Path
        Created when missing: the staging folder is renamed to it. An existing folder
        keeps its other files; the new ones (and the manifest, which lists them beside
        the ones written there before) are moved in only once all are written.
    inject_rules : list of str, optional
        Validation rule codes to break in every return.
    progress : callable, optional
        ``progress(stage, done, total)`` per authority.

    Raises
    ------
    UnknownYearError
        A year with no published referrals at all.
    UnknownAuthorityError
        An authority named that reports in none of the years.
    InputError
        Years not consecutive; nothing could be written; an error that cannot be
        injected.
    """
    from cscwatch.synth.cin.returns import bank_holidays

    years = sorted(set(years))
    if years != list(range(years[0], years[0] + len(years))):
        raise InputError(f"years must be consecutive, got {years}")
    published = figures.years()
    for y in years:
        if y not in published:
            raise UnknownYearError(
                f"no published children in need figures for {y}; "
                f"years available: {min(published)} to {max(published)}"
            )
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} exists and is not a folder")
    plan: list[tuple[str, list[SynthTargets]]] = []
    skipped: list[tuple[str, int, str]] = []
    for a in authorities:
        found: list[SynthTargets] = []
        missing: list[tuple[int, str]] = []
        for y in years:
            try:
                found.append(figures.targets(a, y))
            except UnknownAuthorityError:
                missing.append((y, f"no published referral figures for {a} in {y}"))
            except UnknownYearError as exc:
                missing.append((y, str(exc)))
        if not found and len(authorities) == 1:
            figures.resolve(a, years[-1])  # an unknown name: raises with suggestions
        name = found[0].la_code if found else a
        skipped += [(name, y, why) for y, why in missing]
        by_year = {t.year: t for t in found}
        for seg in _segments(sorted(by_year)):
            plan.append((name, [by_year[y] for y in seg]))
    if not plan:
        raise InputError("no synthetic return written: " + "; ".join(w for _, _, w in skipped))
    holidays = bank_holidays()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    written: list[PanelYear] = []
    runs: dict[str, int] = {}  # runs of years written so far per authority
    try:
        for i, (name, seg_targets) in enumerate(plan):
            report(progress, "writing returns", i, len(plan))
            first_upn = runs.get(name, 0) * _RUN_UPNS
            runs[name] = runs.get(name, 0) + 1
            for t, text, carried, returning in authority_panel(
                seg_targets, seed, holidays, inject_rules, first_upn
            ):
                path = tmp / f"cin_{t.la_code}_{t.year}_seed{seed}.xml"
                path.write_text(render(text), encoding="utf-8")
                written.append(
                    PanelYear(
                        path=out / path.name, la_code=t.la_code, la_name=t.la_name,
                        year=t.year, children=text.rows("child"), referrals=_referrals(text),
                        carried_children=carried, returning_children=returning,
                        injected=tuple(text.injected), targets=t,
                    )
                )  # fmt: skip
        report(progress, "writing returns", len(plan), len(plan))
        run = PanelRun(out, seed, tuple(years), tuple(written), tuple(skipped))
        manifest = _merge_manifest(out / MANIFEST, run) if out.exists() else run.to_dict()
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
        if out.exists():
            for path in sorted(tmp.iterdir()):
                os.replace(path, out / path.name)
        else:
            os.replace(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return run
