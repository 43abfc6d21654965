"""Children looked after, simulated over consecutive years to meet published targets.

The simulation keeps one population of children across every year asked for, so a child
looked after on 31 March of one year is the same child (same ``CHILD``, same episodes,
the open episode continuing) in the next year's return. For each year, in order:

1. The stock on 31 March of the year before: for the first year, ``at31 - starts +
   ceased`` children with ages, care start dates and placements drawn from the
   distributions below (and one earlier placement for half of them); later years carry
   the simulated stock on.
2. ``starts`` children start to be looked after on days spread evenly over the year.
3. Children reaching 18 cease on their birthday; further children cease (younger ones
   and recent starters more often) until exactly ``stock + starts - at31`` have ceased,
   so the year ends with exactly ``at31`` looked after (unless more reach 18 than
   that, which is recorded). ``adopted`` of them are adopted from a placement for
   adoption begun months before, ``sgo`` leave on a special guardianship order.
4. Placement moves: of children under 16 looked after for 2.5 years or more on 31 March,
   the published share (``same_carer_share``) keep their placement for two years;
   exactly ``three_plus`` children looked after on 31 March have three or more
   placements in the year; others move once with probability ``_MOVE_ONCE``.
5. Placements on 31 March are then assigned so each LAIT group holds exactly its
   published count, as far as children who did not move and age limits allow
   (independent living only from 16, placement for adoption only under 5).
6. Missing incidents for the published share of children looked after in the year, and
   statutory reviews (20 working days, 3 months, then every 6 months; approximated in
   calendar days).

Distributions with no per-authority figure in the warehouse (age at entry, age on 31
March, category of need, ethnicity, legal status, placement codes within a group) are
rough constants below, set to look like DfE's national tables; they were not measured
from a published file, they shape the return only, and nothing is calibrated to them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from cscwatch.childlevel.upn import check_letter
from cscwatch.synth.ssda903.targets import PLACEMENT_GROUPS, CareTargets

__all__ = ["Child", "Episode", "Period", "Population", "provider_for", "simulate"]

# Rough shapes (not measured; see the module docstring): age on 31 March in bands under
# 1, 1-4, 5-9, 10-15, 16-17, and age at entry in the same bands.
_STOCK_AGES = ((0, 1, 0.05), (1, 5, 0.13), (5, 10, 0.18), (10, 16, 0.39), (16, 18, 0.25))
_ENTRY_AGES = ((0, 1, 0.19), (1, 5, 0.13), (5, 10, 0.14), (10, 16, 0.37), (16, 18, 0.17))
_CIN = (("N1", 0.65), ("N2", 0.03), ("N3", 0.03), ("N4", 0.09), ("N5", 0.13), ("N6", 0.05),
        ("N7", 0.01), ("N8", 0.01))  # fmt: skip
_ETHNIC = (
    ("WBRI", 0.70), ("WOTH", 0.05), ("MWBC", 0.04), ("MOTH", 0.04), ("BAFR", 0.04),
    ("AOTH", 0.03), ("APKN", 0.02), ("BOTH", 0.02), ("OOTH", 0.04), ("MWBA", 0.02),
)  # fmt: skip
#: Placement codes (2024-25 guidance) within each LAIT group, with their shares.
_CODES: dict[str, tuple[tuple[str, float], ...]] = {
    "lac_foster_pct": (("U1", 0.10), ("U3", 0.10), ("U4", 0.35), ("U6", 0.45)),
    "lac_childrens_homes_pct": (("K2", 1.0),),
    "lac_independent_living_pct": (("H5", 0.7), ("P2", 0.3)),
    "lac_other_residential_pct": (("R1", 0.5), ("S1", 0.3), ("R2", 0.2)),
    "lac_with_parents_pct": (("P1", 1.0),),
    "lac_other_placement_pct": (("Z1", 1.0),),
}
_ADOPTION_PLACE = "A6"
_PROVIDER = {"U1": "PR1", "U3": "PR1", "U4": "PR1", "U6": "PR4", "K2": "PR4", "H5": "PR4",
             "P2": "PR4", "R1": "PR4", "S1": "PR4", "R2": "PR3", "P1": "PR0", "Z1": None,
             "A6": "PR1"}  # fmt: skip
_REASONS_CHANGE = (("CARPL", 0.35), ("LAREQ", 0.25), ("CREQB", 0.1), ("CHILD", 0.1),
                   ("PLACE", 0.1), ("CLOSE", 0.05), ("OTHER", 0.05))  # fmt: skip
_LEAVE_OTHER = (("E4A", 0.55), ("E13", 0.15), ("E41", 0.05), ("E8", 0.25))
_MOVE_ONCE = 0.2
_MOVE_ONCE_16 = 0.45  # 16 and 17: many move to independent or semi-independent living
#: Group weights by (group, aged 16 or more): a quarter of children looked after are 16
#: or 17, and independent living is open to them alone (children's homes lean older too).
_AGE_FACTOR = {
    ("lac_independent_living_pct", True): 4.0,
    ("lac_childrens_homes_pct", True): 1.5,
    ("lac_with_parents_pct", True): 0.5,
}
_YEAR_DAYS = 365
_SHORT_STAY = 120.0


@dataclass
class Episode:
    """One episode: a period of care's stretch with one legal status and placement."""

    decom: date
    rne: str
    ls: str
    cin: str
    place: str
    dec: date | None = None
    rec: str | None = None
    reason_change: str | None = None
    pl_post: str | None = None


@dataclass
class Period:
    """One period of care, its episodes in order."""

    start: date
    episodes: list[Episode] = field(default_factory=list)
    end: date | None = None
    placed_for_adoption: date | None = None

    @property
    def place(self) -> str:
        """The current (last) placement code."""
        return self.episodes[-1].place

    def last_move(self) -> date:
        """The date the current placement began."""
        return self.episodes[-1].decom


@dataclass
class Child:
    """One simulated child, with every period of care."""

    child: str
    sex: int
    dob: date
    ethnic: str
    upn: str
    uasc: bool = False
    periods: list[Period] = field(default_factory=list)
    missing: list[tuple[str, date, date | None]] = field(default_factory=list)
    home_post: str | None = None
    #: (SW_ID, SW_DECOM, SW_DEC or None, SW_REASON), in order.
    social_workers: list[tuple[str, date, date | None, str]] = field(default_factory=list)

    def age(self, on: date) -> float:
        """Age in years on ``on`` (approximate: 365.25-day years)."""
        return (on - self.dob).days / 365.25

    def birthday(self, years: int) -> date:
        """The ``years``-th birthday (29 February babies on 1 March)."""
        try:
            return self.dob.replace(year=self.dob.year + years)
        except ValueError:
            return date(self.dob.year + years, 3, 1)

    def in_care(self, on: date) -> Period | None:
        """The period of care open on ``on``, if any."""
        for p in self.periods:
            if p.start <= on and (p.end is None or p.end > on):
                return p
        return None


@dataclass
class Population:
    """Every simulated child and what the simulation achieved against its targets."""

    la_code: str
    years: tuple[int, ...]
    children: list[Child]
    achieved: dict[int, dict[str, int]]
    shortfalls: dict[int, list[str]]


def provider_for(place: str) -> str | None:
    """PLACE_PROVIDER for a placement code (None where DfE wants none: Z1, T0-T4)."""
    return _PROVIDER.get(place)


def _bounds(year: int) -> tuple[date, date]:
    return date(year - 1, 4, 1), date(year, 3, 31)


def _choose(rng: np.random.Generator, weights: Sequence[float]) -> int:
    # One weighted draw (numpy's choice with p is slow for one draw at a time).
    u = rng.random() * sum(weights)
    acc = 0.0
    for i, w in enumerate(weights):
        acc += w
        if u < acc:
            return i
    return max(i for i, w in enumerate(weights) if w > 0)


def _pick(rng: np.random.Generator, table: tuple[tuple[str, float], ...]) -> str:
    return table[_choose(rng, [w for _, w in table])][0]


def _age_years(rng: np.random.Generator, table: tuple[tuple[int, int, float], ...]) -> float:
    lo, hi, _ = table[_choose(rng, [t[2] for t in table])]
    return lo + (hi - lo) * rng.random()


def _days_between(rng: np.random.Generator, lo: date, hi: date) -> date:
    span = max((hi - lo).days, 0)
    return lo + timedelta(days=int(rng.integers(0, span + 1)))


def _code_for(rng: np.random.Generator, group: str) -> str:
    return _pick(rng, _CODES[group])


def _group_of(place: str) -> str:
    if place.startswith("A"):
        return "lac_other_placement_pct"
    for group, codes in _CODES.items():
        if place in {c for c, _ in codes}:
            return group
    return "lac_other_placement_pct"


def _allowed(group: str, age: float) -> bool:
    if group == "lac_independent_living_pct":
        return age >= 16.1
    if group in ("lac_childrens_homes_pct", "lac_other_residential_pct"):
        return age >= 8
    return True


class _Simulator:
    def __init__(self, la_code: str, targets: list[CareTargets], seed: int) -> None:
        self.la = la_code
        self.targets = targets
        self.rng = np.random.default_rng(seed)
        self.children: list[Child] = []
        self.serial = 0
        self.achieved: dict[int, dict[str, int]] = {}
        self.shortfalls: dict[int, list[str]] = {}

    # ---------------------------------------------------------------- children
    def _new_child(self, dob: date) -> Child:
        self.serial += 1
        rng = self.rng
        body = f"{int(self.la):03d}{int(rng.integers(1000, 9999)):04d}{dob.year % 100:02d}"
        body += f"{self.serial % 1000:03d}"
        letter = check_letter(body) or "A"
        child = Child(
            child=f"SYN{self.la}{self.serial:06d}",
            sex=int(rng.integers(1, 3)),
            dob=dob,
            ethnic=_pick(rng, _ETHNIC),
            upn=letter + body,
        )
        self.children.append(child)
        return child

    def _open(self, child: Child, start: date, group: str) -> Period:
        rng = self.rng
        ls = "V2" if child.uasc or rng.random() < 0.2 else "C2"
        cin = "N4" if child.uasc else _pick(rng, _CIN)
        place = _code_for(rng, group)
        if place == "P1":  # placed with parents: never under section 20 alone (rule 378)
            ls = "C2"
        period = Period(start)
        period.episodes.append(Episode(start, "S", ls, cin, place))
        child.periods.append(period)
        return period

    def _move(self, period: Period, on: date, place: str, ls: str | None = None) -> None:
        last = period.episodes[-1]
        if on <= last.decom:
            return
        new_ls = ls or last.ls
        if place == "P1" and new_ls == "V2":  # rule 378, as at the start of care
            new_ls = "C2"
        if place == last.place and new_ls == last.ls:
            return
        last.dec, last.rec = on, "X1"
        moved = place != last.place
        if moved:
            last.reason_change = _pick(self.rng, _REASONS_CHANGE)
        # DfE: B = placement and legal status both changed; P = placement only; L = legal
        # status only (T and U are for a change of placement with the same carers).
        rne = "B" if moved and new_ls != last.ls else ("P" if moved else "L")
        period.episodes.append(Episode(on, rne, new_ls, last.cin, place))

    def _fostered_before(self, period: Period, on: date) -> bool:
        """Make the placement before leaving on ``on`` a foster one if it is not (a
        special guardianship order goes to the child's carers: DfE's rule 516 wants
        U1-U6 before E45/E46); False when there is no room for the move."""
        if period.place.startswith("U"):
            return True
        move_on = on - timedelta(days=14)
        if move_on <= period.episodes[-1].decom:
            return False
        self._move(period, move_on, "U4")
        return True

    def _close(self, child: Child, period: Period, on: date, rec: str) -> None:
        last = period.episodes[-1]
        if on <= last.decom:
            on = last.decom + timedelta(days=1)
        last.dec, last.rec = on, rec
        period.end = on

    def _group_for_age(self, target: CareTargets, age: float) -> str:
        weights = [
            float(target.placements[g])
            * _AGE_FACTOR.get((g, age >= 16), 1.0)
            * (0.3 if g == "lac_other_placement_pct" and age >= 5 else 1.0)
            if _allowed(g, age)
            else 0.0
            for g in PLACEMENT_GROUPS
        ]
        if sum(weights) <= 0:
            return "lac_foster_pct"
        return PLACEMENT_GROUPS[_choose(self.rng, weights)]

    # ---------------------------------------------------------------- stock
    def initial_stock(self, first: CareTargets) -> None:
        rng = self.rng
        s, _ = _bounds(first.year)
        day0 = s - timedelta(days=1)
        n = max(0, first.at31 - first.starts + first.ceased)
        uasc_left = round(first.uasc * 0.7)
        for _ in range(n):
            age = _age_years(rng, _STOCK_AGES)
            dob = day0 - timedelta(days=max(14, int(age * 365.25)))
            child = self._new_child(dob)
            if uasc_left and age >= 14:
                child.uasc, uasc_left = True, uasc_left - 1
            in_care_years = min(age, float(rng.exponential(2.5)))
            if child.uasc:
                in_care_years = min(in_care_years, age - 13.5)
            start = max(dob + timedelta(days=7), day0 - timedelta(days=int(in_care_years * 365)))
            period = self._open(child, start, self._group_for_age(first, child.age(start)))
            if rng.random() < 0.5 and (day0 - start).days > 60:
                on = _days_between(rng, start + timedelta(days=30), day0 - timedelta(days=1))
                self._move(period, on, _code_for(rng, self._group_for_age(first, child.age(on))))

    # ---------------------------------------------------------------- a year
    def year(self, t: CareTargets) -> None:
        rng = self.rng
        s, e = _bounds(t.year)
        shortfalls: list[str] = []
        stock = [(c, p) for c in self.children if (p := c.in_care(s - timedelta(days=1)))]
        # Starters: spread evenly over the year.
        entrants: list[tuple[Child, Period]] = []
        uasc_share = t.uasc / t.at31 if t.at31 else 0.0
        for k in range(t.starts):
            on = s + timedelta(days=int((k + 0.5) * _YEAR_DAYS / max(t.starts, 1)))
            age = _age_years(rng, _ENTRY_AGES)
            # At least a day old and at most 17 years 364 days on the day care starts.
            child = self._new_child(on - timedelta(days=min(max(1, int(age * 365.25)), 6570)))
            child.uasc = age >= 14 and rng.random() < min(0.9, 2.5 * uasc_share)
            entrants.append((child, self._open(child, on, self._group_for_age(t, age))))
        present = stock + entrants
        # Leaving: every 18th birthday in the year, then others to meet at31.
        n_cease = len(stock) + t.starts - t.at31
        forced = [(c, p) for c, p in present if c.birthday(18) <= e]
        if len(forced) > n_cease:
            shortfalls.append(
                f"{len(forced)} children reach 18 in the year, more than the {n_cease} "
                "the published numbers leave room for"
            )
        forced_ids = {id(c) for c, _ in forced}
        # A child can cease only after a few days in care, within the year.
        optional = [
            (c, p)
            for c, p in present
            if id(c) not in forced_ids and p.start <= e - timedelta(days=5)
        ]
        extra = max(0, min(n_cease - len(forced), len(optional)))
        if n_cease < 0:
            shortfalls.append(f"published numbers imply {n_cease} ceased")
        leavers: list[tuple[Child, Period]] = []
        if extra:
            age_w = np.array([1.0 / (1.0 + c.age(e) / 6.0) for c, _ in optional])
            recent = np.array(
                [2.0 if p.start >= s - timedelta(days=180) else 1.0 for _, p in optional]
            )
            w = age_w * recent
            idx = rng.choice(len(optional), size=extra, replace=False, p=w / w.sum())
            leavers = [optional[int(i)] for i in sorted(idx)]
        # Reasons: adoption for the youngest leavers, SGO next, the rest drawn.
        by_age = sorted(leavers, key=lambda cp: cp[0].age(e))
        adopt = {id(c) for c, _ in by_age[: min(t.adopted, len(by_age))] if c.age(e) < 10}
        rest = [cp for cp in by_age if id(cp[0]) not in adopt]
        rest.sort(key=lambda cp: not cp[1].place.startswith("U"))  # carers first
        sgo = {id(c) for c, _ in rest[: min(t.sgo, len(rest))]}
        leaving_ids = {id(c) for c, _ in leavers} | forced_ids
        at31 = [(c, p) for c, p in present if id(c) not in leaving_ids]
        # Leaving days first (spread evenly over the stay in the year), so the year's
        # placement moves fall before them and the stock has no season.
        leave_on: dict[int, date] = {}
        placed_on: dict[int, date] = {}
        move_by: dict[int, date] = {}
        for c, p in forced:
            leave_on[id(c)] = max(c.birthday(18), p.start + timedelta(days=1))
            move_by[id(c)] = leave_on[id(c)] - timedelta(days=2)
        for c, p in leavers:
            first = max(s, p.episodes[-1].decom + timedelta(days=1))
            lo = max(first, p.start + timedelta(days=2))
            last = max(lo, min(e, c.birthday(18) - timedelta(days=1)))
            if p.start >= s:
                # A child starting and ceasing in one year mostly has a short stay: a
                # stay of mean _SHORT_STAY days, cut at the year's end (so leaving days
                # do not crowd into March).
                span = (last - lo).days
                cut = 1.0 - np.exp(-span / _SHORT_STAY)
                days = int(-_SHORT_STAY * np.log(1.0 - rng.random() * cut))
                on = lo + timedelta(days=min(days, span))
            else:
                on = _days_between(rng, lo, last)
            leave_on[id(c)] = on
            move_by[id(c)] = on - timedelta(days=2)
            placed = max(first, on - timedelta(days=150))
            if id(c) in adopt and placed < on:
                placed_on[id(c)] = placed
                move_by[id(c)] = placed - timedelta(days=2)
        self._moves(t, at31, present, s, e, shortfalls, move_by)
        for c, p in forced:
            self._close(c, p, leave_on[id(c)], "E8")
        for c, p in leavers:
            on = max(leave_on[id(c)], p.episodes[-1].decom + timedelta(days=1))
            if id(c) in placed_on and placed_on[id(c)] > p.episodes[-1].decom:
                self._move(p, placed_on[id(c)], _ADOPTION_PLACE, "E1")
                p.placed_for_adoption = p.placed_for_adoption or placed_on[id(c)]
                self._close(c, p, on, "E11" if rng.random() < 0.3 else "E12")
            elif id(c) in sgo and self._fostered_before(p, on):
                self._close(c, p, on, "E45" if rng.random() < 0.6 else "E46")
            else:
                self._close(c, p, on, _pick(rng, _LEAVE_OTHER))
        self._missing(t, present, s, e)
        self.achieved[t.year] = {
            "at31": sum(1 for c in self.children if c.in_care(e)),
            "starts": len(entrants),
            "ceased": len(forced) + len(leavers),
        }
        self.shortfalls[t.year] = shortfalls

    def _moves(
        self,
        t: CareTargets,
        at31: list[tuple[Child, Period]],
        present: list[tuple[Child, Period]],
        s: date,
        e: date,
        shortfalls: list[str],
        move_by: dict[int, date],
    ) -> None:
        rng = self.rng
        n_moves: dict[int, int] = {}
        # Same placement for two years: under 16, looked after 2.5 years or more.
        eligible = [
            (c, p) for c, p in at31 if c.age(e) < 16 and (e - p.start).days >= int(2.5 * 365.25)
        ]
        unmoved = [(c, p) for c, p in eligible if p.last_move() <= s - timedelta(days=365)]
        want = round(t.same_carer_share * len(eligible))
        if len(unmoved) < want:
            shortfalls.append(f"same placement 2 years: {len(unmoved)} possible, {want} wanted")
        order = rng.permutation(len(unmoved))
        stable: set[int] = set()
        for rank, i in enumerate(order):
            n_moves[id(unmoved[int(i)][0])] = 0 if rank < want else 1
            if rank < want:
                stable.add(id(unmoved[int(i)][0]))
        # Three or more placements in the year among children looked after on 31 March.
        free = [(c, p) for c, p in at31 if id(c) not in n_moves]
        need = t.three_plus
        if need > len(free):
            shortfalls.append(f"three or more placements: {len(free)} possible, {need} wanted")
            need = len(free)
        w = np.array([1.0 + c.age(e) / 8.0 for c, _ in free])
        chosen: list[int] = (
            rng.choice(len(free), size=need, replace=False, p=w / w.sum()).tolist() if need else []
        )
        for i in chosen:
            c, p = free[int(i)]
            # Placements in the year = the one held on 1 April (or at entry) + moves.
            n_moves[id(c)] = 2 + int(rng.random() < 0.3)
        for c, _ in present:
            once = _MOVE_ONCE_16 if c.age(e) >= 16 else _MOVE_ONCE
            n_moves.setdefault(id(c), int(rng.random() < once))
        # Children on 31 March who did not move keep their group; the rest are given
        # the groups left to fill, most age-restricted first.
        left = dict(t.placements)
        movers: list[tuple[Child, Period]] = []
        for c, p in at31:
            if n_moves[id(c)] == 0:
                left[_group_of(p.place)] -= 1
            else:
                movers.append((c, p))
        # A group holding more children who did not move than it should: some of them
        # (never those keeping a placement for the two-year measure) move once, the
        # oldest first (independent living, short of children, is open from 16 only).
        for c, p in sorted(at31, key=lambda cp: -cp[0].age(e)):
            group = _group_of(p.place)
            if left[group] < 0 and n_moves[id(c)] == 0 and id(c) not in stable:
                n_moves[id(c)] = 1
                left[group] += 1
                movers.append((c, p))
        # Independent living is open from 16 only, residential settings from 8: when
        # too few children of those ages move, some who did not move (never those
        # kept for the two-year measure) move once, the oldest first.
        for group in (
            "lac_independent_living_pct",
            "lac_childrens_homes_pct",
            "lac_other_residential_pct",
        ):
            short = left[group] - sum(1 for c, _ in movers if _allowed(group, c.age(e) - 0.1))
            for c, p in sorted(at31, key=lambda cp: -cp[0].age(e)):
                if short <= 0 or not _allowed(group, c.age(e) - 0.1):
                    break
                if n_moves[id(c)] == 0 and id(c) not in stable and _group_of(p.place) != group:
                    n_moves[id(c)] = 1
                    left[_group_of(p.place)] += 1
                    movers.append((c, p))
                    short -= 1
        final: dict[int, str] = {}
        pool = sorted(movers, key=lambda cp: cp[0].age(e))
        for group, oldest_first in (
            ("lac_independent_living_pct", True),
            ("lac_other_placement_pct", False),
            ("lac_childrens_homes_pct", True),
            ("lac_other_residential_pct", True),
            ("lac_with_parents_pct", False),
        ):
            cands = [cp for cp in pool if _allowed(group, cp[0].age(e) - 0.1)]
            if oldest_first:
                cands = cands[::-1]
            for c, _ in cands[: max(0, left[group])]:
                final[id(c)] = group
            pool = [cp for cp in pool if id(cp[0]) not in final]
        for c, _ in pool:
            final[id(c)] = "lac_foster_pct"
        for c, p in present:
            k = n_moves[id(c)]
            if k == 0:
                continue
            lo = max(s, p.episodes[-1].decom + timedelta(days=1))
            hi = min(e - timedelta(days=1), move_by.get(id(c), e))
            if (hi - lo).days < 2 * k:
                continue
            days = sorted(rng.choice((hi - lo).days, size=k, replace=False).tolist())
            for j, d in enumerate(days):
                on = lo + timedelta(days=int(d) + 1)
                if j == k - 1 and id(c) in final:
                    group = final[id(c)]
                    if not _allowed(group, c.age(on)):  # the move waits for the birthday
                        on = max(on, c.birthday(16) + timedelta(days=40))
                        if on > hi or on <= p.episodes[-1].decom:
                            group = "lac_foster_pct"
                else:
                    group = self._group_for_age(t, c.age(on))
                code = _code_for(rng, group)
                if code == p.place:  # a move is a move: another code of the group or foster
                    code = "U6" if code != "U6" else "U4"
                if group == "lac_other_placement_pct" and c.age(on) < 5 and j == k - 1:
                    self._move(p, on, _ADOPTION_PLACE, "E1")
                    p.placed_for_adoption = p.placed_for_adoption or on
                else:
                    self._move(p, on, code)

    def _missing(
        self, t: CareTargets, present: list[tuple[Child, Period]], s: date, e: date
    ) -> None:
        rng = self.rng
        older = [(c, p) for c, p in present if c.age(e) >= 11]
        want = min(len(older), round(t.missing_share * len(present)))
        if not want:
            return
        for i in rng.choice(len(older), size=want, replace=False):
            c, p = older[int(i)]
            lo = max(s, p.start)
            hi = min(e, p.end or e, c.birthday(18)) - timedelta(days=3)
            if hi <= lo:
                continue
            starts = sorted({_days_between(rng, lo, hi) for _ in range(1 + int(rng.poisson(0.8)))})
            for k, start in enumerate(starts):
                end = start + timedelta(days=int(rng.integers(0, 3)))
                if k + 1 < len(starts):  # never overlapping the next incident (rule 574)
                    end = min(end, starts[k + 1] - timedelta(days=1))
                c.missing.append(("M" if rng.random() < 0.8 else "A", start, end))


def simulate(targets: list[CareTargets], seed: int) -> Population:
    """Simulate the consecutive years of ``targets`` (one authority, oldest first).

    Parameters
    ----------
    targets : list of CareTargets
        One per year, consecutive, for one authority.
    seed : int
        Same targets and seed give the same children.

    Postcodes and social worker episodes are added afterwards
    (:func:`~cscwatch.synth.ssda903.places.add_places`).
    """
    if not targets:
        raise ValueError("no targets to simulate")
    years = [t.year for t in targets]
    if years != list(range(years[0], years[0] + len(years))):
        raise ValueError(f"years must be consecutive, got {years}")
    sim = _Simulator(targets[0].la_code, targets, seed)
    sim.initial_stock(targets[0])
    for t in targets:
        sim.year(t)
    return Population(targets[0].la_code, tuple(years), sim.children, sim.achieved, sim.shortfalls)
