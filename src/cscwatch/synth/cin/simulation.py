"""Synthetic CIN census returns, calibrated to an authority's published figures.

``synthesise(targets, seed)`` simulates one authority's year of children's social care
activity as columnar tables (numpy arrays), so that the published measures computed
from it (:mod:`cscwatch.childlevel.cin.measures`) reproduce the targets read from the
snapshot (:mod:`cscwatch.synth.cin.targets`); ``write_synthetic_return`` writes
it as CIN census XML in the DfE layout (:mod:`cscwatch.synth.cin.writer`).

How the year is built, in order (every count is allocated exactly, not drawn as a rate):

1. Referrals in the year are split into children (c1 referral and child counts); the
   extra referrals fall on ``m`` children with two or more referrals, each of which is a
   re-referral. The remaining re-referrals are children whose previous episode was
   referred before 1 April and closed before the new referral ("linked" carried
   episodes), so every re-referral is visible in the one file.
2. Each referral is NFA, assessed not in need (RC8/RC9 after one assessment), or starts
   a CIN episode that closes in the year or is open at 31 March (b1 started, ended and at
   31 March). Only a child's last referral may stay open. Episodes open at 1 April
   ("carried") make up the rest of b1's episodes at any point.
3. Assessments: one per non-NFA referral, except the episodes awaiting assessment at 31
   March; a share of carried episodes is reassessed. Exactly the published share is
   completed within 45 working days.
4. Child protection: plans open at 31 March are placed by length band (d5); plans
   started in the year (d3, with the second-or-subsequent count) each start on the date
   of the initial conference of a section 47 enquiry; further conferences and enquiries
   fill the LAIT rates; exactly the published share of conferences is within 15 working
   days of the enquiry's start.
5. Factors at assessment (c3): each episode with factors gets one drawn in proportion
   to the published counts, then each factor is added to exactly as many more episodes
   as its published count needs.

Records respect the CIN census validation rules (no overlapping episodes or plans,
dates inside the census year, conferences on working days, ...), so a clean synthetic
return validates clean; ``inject`` in :mod:`cscwatch.synth.cin.writer` breaks rules
on purpose.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from cscwatch.indicators.cin_layouts import FACTOR_COLUMNS
from cscwatch.synth.cin.targets import SynthTargets

__all__ = ["Carry", "SyntheticReturn", "synthesise"]

IntArray = npt.NDArray[np.int64]
#: Missing date.
NA = np.int64(-(2**40))

_EPOCH = date(1970, 1, 1)

# Realistic, not calibrated, code mixes (DfE CIN census code sets).
_NEEDS = (
    ("N1", 0.56),
    ("N2", 0.08),
    ("N3", 0.03),
    ("N4", 0.09),
    ("N5", 0.16),
    ("N6", 0.02),
    ("N7", 0.005),
    ("N8", 0.025),
    ("N9", 0.03),
)
_SOURCES = (
    ("1A", 0.03),
    ("1B", 0.01),
    ("1C", 0.04),
    ("1D", 0.01),
    ("2A", 0.02),
    ("2B", 0.02),
    ("3A", 0.05),
    ("3B", 0.05),
    ("3C", 0.02),
    ("3D", 0.01),
    ("3E", 0.01),
    ("3F", 0.01),
    ("4", 0.17),
    ("5A", 0.08),
    ("5B", 0.06),
    ("5C", 0.02),
    ("5D", 0.02),
    ("6", 0.02),
    ("7", 0.01),
    ("8", 0.03),
    ("9", 0.29),
    ("10", 0.02),
)
_CATEGORIES = (("NEG", 0.50), ("EMO", 0.37), ("PHY", 0.06), ("SAB", 0.04), ("MUL", 0.03))
_ETHNICITY = (
    ("WBRI", 0.66),
    ("WIRI", 0.005),
    ("WIRT", 0.005),
    ("WOTH", 0.06),
    ("WROM", 0.01),
    ("MWBC", 0.02),
    ("MWBA", 0.01),
    ("MWAS", 0.01),
    ("MOTH", 0.02),
    ("AIND", 0.015),
    ("APKN", 0.03),
    ("ABAN", 0.01),
    ("AOTH", 0.015),
    ("BCRB", 0.01),
    ("BAFR", 0.035),
    ("BOTH", 0.01),
    ("CHNE", 0.003),
    ("OOTH", 0.022),
    ("REFU", 0.005),
    ("NOBT", 0.025),
)
_DISABILITIES = (
    "AUT",
    "BEH",
    "COMM",
    "CON",
    "DDA",
    "HAND",
    "HEAR",
    "INC",
    "LD",
    "MOB",
    "PC",
    "VIS",
)
_CLOSE_REASONS = (
    ("RC1", 0.01),
    ("RC3", 0.03),
    ("RC4", 0.02),
    ("RC5", 0.05),
    ("RC6", 0.05),
    ("RC7", 0.84),
)
# Age at first referral: weights for 0..17.
_AGE_WEIGHTS = np.array([9, 5, 4.5, 4.5, 4.5, 5, 5, 5, 5, 5, 6.5, 6.5, 6.5, 7, 7, 7, 5, 3.0])
# d5 bands as day offsets back from 31 March, far enough from the month boundaries that
# rolling back to a working day (over Christmas or Easter) stays in the band.
_BAND_DAYS = ((5, 85), (94, 175), (186, 358), (368, 726), (734, 1600))


def day(d: date) -> int:
    """Day number (days since 1970-01-01) of ``d``."""
    return (d - _EPOCH).days


@dataclass(frozen=True)
class Carry:
    """Episodes open at 31 March of one year, carried into the next year's return.

    One row per episode (arrays of equal length); ``plan_start`` is ``NA`` for an
    episode without a child protection plan open at 31 March, and ``plan_initial``,
    ``plan_latest`` and ``plan_previous`` describe that plan when there is one.
    """

    ref: np.ndarray
    need: np.ndarray
    source: np.ndarray
    plan_start: np.ndarray
    plan_initial: np.ndarray
    plan_latest: np.ndarray
    plan_previous: np.ndarray
    #: Whether the episode's child is known to have had a plan before (prefer marking
    #: that child's new plan second or subsequent); None when unknown.
    had_plan: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.ref)


@dataclass
class SyntheticReturn:
    """One simulated return as columns; dates are day numbers, ``NA`` when absent.

    Children are numbered ``0..n-1``; every other table carries ``child`` and, below
    the episode, ``episode`` (row of the episode table). Rows are in file order.
    """

    targets: SynthTargets
    seed: int
    year_start: int
    reference: int
    child: dict[str, np.ndarray]
    disability: dict[str, np.ndarray]
    episode: dict[str, np.ndarray]
    assessment: dict[str, np.ndarray]
    factor: dict[str, np.ndarray]
    plan: dict[str, np.ndarray]
    s47: dict[str, np.ndarray]
    cpp: dict[str, np.ndarray]
    review: dict[str, np.ndarray]
    #: Per child: the row of the ``carry`` it continues, or -1 for a child new to the
    #: year (``None`` without a carry).
    child_carry: np.ndarray | None = None


def _link_carried(
    rng: np.random.Generator,
    carry: Carry,
    eligible: np.ndarray,
    n_link: int,
    first_ref: np.ndarray,
    k: np.ndarray,
    ys: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Pair carried episodes with children re-referred within 12 months of them.

    Returns the order of the carry (the linked episodes first) and the children linked.
    The most recently referred eligible episodes are taken; each is paired with a
    random child referred once this year, more than 14 days in, and no more than 365
    days after the episode's referral, so the new referral is a re-referral.
    """
    chosen = eligible[np.argsort(-carry.ref[eligible], kind="stable")[:n_link]]
    chosen = chosen[np.argsort(carry.ref[chosen], kind="stable")]
    kids = np.flatnonzero((k == 1) & (first_ref > ys + 14))
    kids = kids[np.argsort(first_ref[kids], kind="stable")]
    key = rng.random(len(kids))
    heap: list[tuple[float, int]] = []
    nxt = 0
    linked_c: list[int] = []
    linked_k: list[int] = []
    for c in chosen:
        deadline = carry.ref[c] + 365
        while nxt < len(kids) and first_ref[kids[nxt]] <= deadline:
            heapq.heappush(heap, (float(key[nxt]), int(kids[nxt])))
            nxt += 1
        if heap:
            linked_c.append(int(c))
            linked_k.append(heapq.heappop(heap)[1])
    first = np.array(linked_c, dtype=np.int64)
    rest = np.setdiff1d(np.arange(len(carry)), first)
    return np.concatenate([first, rest]), np.array(linked_k, dtype=np.int64)


def _pick(rng: np.random.Generator, table: tuple[tuple[str, float], ...], n: int) -> np.ndarray:
    codes = np.array([c for c, _ in table], dtype=object)
    w = np.array([p for _, p in table], dtype=float)
    return codes[rng.choice(len(codes), size=n, p=w / w.sum())]


def _choose(
    rng: np.random.Generator, pool: np.ndarray, k: int, weights: np.ndarray | None = None
) -> np.ndarray:
    # k distinct members of pool (all of it when k >= len(pool)).
    k = int(max(0, min(k, len(pool))))
    if k == 0:
        return pool[:0]
    if weights is None:
        return rng.choice(pool, size=k, replace=False)
    w = np.asarray(weights, dtype=float) + 1e-12
    return rng.choice(pool, size=k, replace=False, p=w / w.sum())


class _Calendar:
    """Working days in England: weekdays that are not bank holidays."""

    def __init__(self, holidays: np.ndarray) -> None:
        self.holidays = np.asarray(holidays, dtype="datetime64[D]")
        self._cal = np.busdaycalendar(holidays=self.holidays)

    def add(self, days: IntArray, n: IntArray, roll: str = "forward") -> IntArray:
        d = days.astype("datetime64[D]")
        out = np.busday_offset(d, n, roll=roll, busdaycal=self._cal)  # type: ignore[call-overload]
        return np.asarray(out).astype(np.int64)

    def count(self, start: IntArray, end: IntArray) -> IntArray:
        return np.busday_count(
            start.astype("datetime64[D]"), end.astype("datetime64[D]"), busdaycal=self._cal
        ).astype(np.int64)

    def roll_back(self, days: IntArray) -> IntArray:
        return self.add(days, np.zeros_like(days), roll="backward")


def synthesise(
    targets: SynthTargets, seed: int, holidays: np.ndarray, carry: Carry | None = None
) -> SyntheticReturn:
    """Simulate one return calibrated to ``targets``.

    Parameters
    ----------
    targets : SynthTargets
        From :meth:`PublishedFigures.targets`.
    seed : int
        Same seed, targets and holidays → identical return.
    holidays : array of datetime64[D]
        England and Wales bank holidays (working-day arithmetic).
    carry : Carry, optional
        The previous year's episodes open at 31 March (a linked panel). They are this
        year's episodes open on 1 April, with their referral dates, needs, sources and
        open plans; without it those episodes are made up to fill the published
        episodes at any point. With it, re-referrals of children whose episode was open
        on 1 April come from carried episodes referred within the last 12 months, and
        plans open on 1 April are the carried plans (so the plans of 1 year or more at
        31 March are those still open, not the published d5 bands).
    """
    t = targets
    rng = np.random.default_rng([seed, int(t.la_code), t.year])
    cal = _Calendar(holidays)
    ys, ye = day(date(t.year - 1, 4, 1)), day(date(t.year, 3, 31))
    span = ye - ys + 1

    # 1. Referrals → children, re-referrals.
    R = t.referrals
    n_ch = max(1, min(R, t.referral_children)) if R else 0
    X = R - n_ch
    S = t.started_episodes
    if carry is None:
        C = max(0, t.anypoint_episodes - S)
        L = int(np.clip(t.rereferrals - X, 0, min(C, n_ch)))
    else:
        C = len(carry)
        # A carried episode can lead to a re-referral this year when it has no plan
        # (it must close first) and was referred in the last 11 months.
        eligible = np.flatnonzero((carry.plan_start == NA) & (carry.ref >= ys - 330))
        L = int(np.clip(t.rereferrals - X, 0, min(len(eligible), n_ch)))
    m = int(np.clip(t.rereferral_children - L, 1 if X > 0 else 0, min(X, n_ch)))
    k = np.ones(n_ch, dtype=np.int64)
    if m:
        multi = rng.choice(n_ch, size=m, replace=False)
        k[multi] += 1
        np.add.at(k, rng.choice(multi, size=X - m), 1)
    k = np.minimum(k, span // 4)
    R = int(k.sum())
    ref_child = np.repeat(np.arange(n_ch), k)
    first_of = np.concatenate([[0], np.cumsum(k)[:-1]])
    pos = np.arange(R) - np.repeat(first_of, k)
    u = (rng.random(R) * np.repeat(np.maximum(1, span - 3 * (k - 1)), k)).astype(np.int64)
    order = np.lexsort((u, ref_child))
    ref_date = ys + u[order] + 3 * pos
    is_last = pos == np.repeat(k - 1, k)
    nxt = np.append(ref_date[1:], 0)
    lim = np.where(is_last, ye, nxt - 1)

    # 2. Outcomes: 0 NFA, 1 not in need, 2 CIN closed in year, 3 CIN open at 31 March.
    n_open = t.at31_episodes
    oc = round(n_open * C / max(C + S, 1))
    oc = int(np.clip(oc, max(0, n_open - min(S, n_ch)), max(0, min(C - L, n_open))))
    o_s = max(0, min(n_open - oc, S, int(is_last.sum())))
    outcome = np.full(R, -1, dtype=np.int64)
    last_idx = np.flatnonzero(is_last)
    open_idx = _choose(rng, last_idx, o_s, np.exp(-(ye - ref_date[last_idx]) / 200.0))
    outcome[open_idx] = 3
    rest = np.flatnonzero(outcome < 0)
    nfa, nin = min(t.nfa, len(rest)), min(t.not_in_need, max(0, len(rest) - t.nfa))
    kinds = np.concatenate([np.zeros(nfa), np.ones(nin), np.full(len(rest) - nfa - nin, 2)])
    outcome[rest] = rng.permutation(kinds.astype(np.int64))
    awaiting = np.zeros(R, dtype=bool)
    open_now = np.flatnonzero(outcome == 3)
    awaiting[
        _choose(rng, open_now, t.awaiting_assessment, np.exp(-(ye - ref_date[open_now]) / 15.0))
    ] = True

    # Carried episodes (open on 1 April); the first L belong to re-referred children.
    e_c = C - oc
    if carry is None:
        c_closed = np.zeros(C, dtype=bool)
        c_closed[:L] = True
        c_closed[_choose(rng, np.arange(L, C), e_c - L)] = True
        first_ref = ref_date[first_of]
        # Linked children are referred once this year, so re-referred children add up.
        link_kids = _choose(
            rng, np.arange(n_ch), L, ((first_ref > ys + 14) + 1e-3) * ((k == 1) + 1e-3)
        )
        perm = np.arange(C)
        pos_plan = long_pos = np.zeros(0, dtype=np.int64)
    else:
        first_ref = ref_date[first_of]
        perm, link_kids = _link_carried(rng, carry, eligible, L, first_ref, k, ys)
        L = len(link_kids)
        # Carried plans stay open (as many as the published plans of a year or more at
        # 31 March, room allowing) or end this year.
        pos_plan = np.flatnonzero(carry.plan_start[perm] != NA)
        n_long = min(len(pos_plan), sum(t.cpp_at31_bands[3:]), max(0, C - max(e_c, L)))
        long_pos = np.sort(_choose(rng, pos_plan, n_long))
        c_closed = np.zeros(C, dtype=bool)
        c_closed[:L] = True
        c_closed[_choose(rng, np.setdiff1d(np.arange(L, C), long_pos), e_c - L)] = True
    c_child = np.concatenate([link_kids, n_ch + np.arange(C - L)])
    c_lim = np.full(C, ye, dtype=np.int64)
    c_lim[:L] = np.maximum(ys, first_ref[link_kids] - 1)
    c_close = np.full(C, NA, dtype=np.int64)
    cc = np.flatnonzero(c_closed)
    c_close[cc] = ys + (rng.random(len(cc)) * (c_lim[cc] - ys + 1)).astype(np.int64)
    # Set after child protection hosts are known (known already when carried).
    c_ref = np.full(C, NA, dtype=np.int64) if carry is None else carry.ref[perm].copy()

    # Episode arrays: referrals then carried.
    n_ep = R + C
    ep_child = np.concatenate([ref_child, c_child])
    ep_ref = np.concatenate([ref_date, c_ref])
    ep_kind = np.concatenate([outcome, np.where(c_closed, 4, 5)])  # 4/5 carried closed/open
    ep_lim = np.concatenate([lim, np.where(c_closed, c_close, ye)])
    ep_close = np.full(n_ep, NA, dtype=np.int64)
    ep_await = np.concatenate([awaiting, np.zeros(C, dtype=bool)])
    ep_act = np.full(n_ep, NA, dtype=np.int64)  # latest activity date (closure bound)
    ep_act[:R] = ref_date
    carried = np.arange(R, n_ep)

    # 3. Child protection: plans open at 31 March choose their episodes first.
    has_cpp = np.zeros(n_ep, dtype=bool)
    done_assessed = np.zeros(n_ep, dtype=bool)
    done_assessed[:R] = (ep_kind[:R] >= 1) & ~ep_await[:R]
    bands = t.cpp_at31_bands
    k_in = sum(bands[:3])
    cpp_rows: list[
        tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    ] = []  # ep, start, end, icpc?

    def band_starts(b: int, n: int) -> np.ndarray:
        lo, hi = _BAND_DAYS[b]
        return cal.roll_back(ye - rng.integers(lo, hi + 1, size=n))

    starts_in = np.sort(np.concatenate([band_starts(b, bands[b]) for b in range(3)]))
    open_started = np.flatnonzero((ep_kind == 3) & done_assessed)
    carried_open = carried[~c_closed]
    if carry is None:
        starts_long = np.concatenate([band_starts(b, bands[b]) for b in (3, 4)])
        free_carried_open = list(rng.permutation(carried_open))
        hosts_long = np.array(free_carried_open[: len(starts_long)], dtype=np.int64)
        del free_carried_open[: len(starts_long)]
        starts_long = starts_long[: len(hosts_long)]
    else:
        hosts_long = R + long_pos
        starts_long = carry.plan_start[perm[long_pos]]
        # Episodes with a carried plan take no second plan this year.
        free_carried_open = list(rng.permutation(np.setdiff1d(carried_open, R + pos_plan)))
    pool = np.concatenate([open_started, np.array(free_carried_open, dtype=np.int64)])
    chosen = _choose(rng, pool, k_in)
    chosen = chosen[
        np.argsort(
            np.where(chosen < R, ep_ref[np.minimum(chosen, n_ep - 1)], ys - 1), kind="stable"
        )
    ]
    starts_in = starts_in[: len(chosen)]
    bad = (chosen < R) & (ep_ref[np.minimum(chosen, n_ep - 1)] > starts_in - 5)
    spare = np.setdiff1d(np.array(free_carried_open, dtype=np.int64), chosen)
    nbad = min(int(bad.sum()), len(spare))
    bad_idx = np.flatnonzero(bad)
    chosen[bad_idx[:nbad]] = spare[:nbad]
    keep = ~np.isin(np.arange(len(chosen)), bad_idx[nbad:])
    hosts_in, starts_in = chosen[keep], starts_in[keep]
    has_cpp[hosts_in] = True
    has_cpp[hosts_long] = True
    cpp_rows.append((hosts_in, starts_in, np.full(len(hosts_in), NA), np.ones(len(hosts_in), bool)))
    cpp_rows.append(
        (hosts_long, starts_long, np.full(len(hosts_long), NA), np.zeros(len(hosts_long), bool))
    )

    # 4. Assessments (carried episodes with a conference this year are reassessed).
    a_ep_list = [np.flatnonzero((ep_kind == 1) | (ep_kind == 2) | ((ep_kind == 3) & ~ep_await))]
    re_c = _choose(rng, carried[L:], round(0.12 * (C - L)))
    re_c = np.union1d(re_c, hosts_in[hosts_in >= R])
    a_ep_done = np.concatenate([a_ep_list[0], re_c])
    a_start = np.empty(len(a_ep_done), dtype=np.int64)
    n_new = len(a_ep_list[0])
    lag = rng.integers(0, 4, size=n_new)
    a_start[:n_new] = np.minimum(ref_date[a_ep_done[:n_new]] + lag, ep_lim[a_ep_done[:n_new]])
    re_lim = ep_lim[re_c]
    a_start[n_new:] = ys + (rng.random(len(re_c)) * np.maximum(1, re_lim - ys - 5)).astype(np.int64)
    a_lim = ep_lim[a_ep_done]
    window = cal.count(a_start, a_lim)
    dur = np.rint(rng.triangular(0, 28, 45.999, size=len(a_ep_done))).astype(np.int64)
    wide = np.flatnonzero(window > 45)
    late_n = round((1 - t.assess_45_share) * len(a_ep_done))
    late = _choose(rng, wide, late_n)
    dur[late] = 46 + rng.geometric(1 / 15, size=len(late)) - 1
    dur = np.minimum(dur, np.maximum(window, 0))
    dur[late] = np.maximum(dur[late], 46)
    a_auth = np.minimum(cal.add(a_start, dur), a_lim)
    a_auth = np.maximum(a_auth, a_start)
    np.maximum.at(ep_act, a_ep_done, a_auth)
    # Awaiting: most have an assessment started, none authorised.
    aw = np.flatnonzero(ep_await)
    aw_started = _choose(rng, aw, round(0.7 * len(aw)))
    aw_start = np.minimum(ep_ref[aw_started] + rng.integers(0, 4, size=len(aw_started)), ye)
    aw_start = np.maximum(aw_start, ye - rng.integers(20, 60, size=len(aw_started)))
    np.maximum.at(ep_act, aw_started, aw_start)

    done_assessed[a_ep_done] = True

    n_start = max(t.cpp_starts, len(hosts_in))
    np_end = n_start - len(hosts_in)
    cand = np.flatnonzero(
        ((ep_kind == 2) | (ep_kind == 3)) & done_assessed & ~has_cpp & (ep_lim - ep_act > 60)
    )
    cand = cand[cand < R]
    hosts_end = _choose(rng, cand, np_end)
    icpc_e = cal.add(ep_act[hosts_end], rng.integers(3, 20, size=len(hosts_end)))
    room = ep_lim[hosts_end] - icpc_e
    ok = room > 10
    hosts_end, icpc_e, room = hosts_end[ok], icpc_e[ok], room[ok]
    end_e = icpc_e + 1 + (rng.random(len(hosts_end)) * np.minimum(room - 1, 300)).astype(np.int64)
    has_cpp[hosts_end] = True
    cpp_rows.append((hosts_end, icpc_e, end_e, np.ones(len(hosts_end), bool)))
    # Plans open on 1 April that end in the year (no conference in this year's file).
    if carry is None:
        k_cend = max(0, n_start - len(hosts_end))
        cpool = carried[L:][~has_cpp[carried[L:]]]
        hosts_cend = _choose(rng, cpool, k_cend)
        cstart = ys - 1 - rng.integers(10, 500, size=len(hosts_cend))
    else:
        cend_pos = np.setdiff1d(pos_plan, long_pos)
        hosts_cend, cstart = R + cend_pos, carry.plan_start[perm[cend_pos]]
    cend = ys + (rng.random(len(hosts_cend)) * np.maximum(1, ep_lim[hosts_cend] - ys)).astype(
        np.int64
    )
    has_cpp[hosts_cend] = True
    cpp_rows.append((hosts_cend, cstart, cend, np.zeros(len(hosts_cend), bool)))

    cpp_ep = np.concatenate([r[0] for r in cpp_rows])
    cpp_start = np.concatenate([r[1] for r in cpp_rows]).astype(np.int64)
    cpp_end = np.concatenate([r[2] for r in cpp_rows]).astype(np.int64)
    cpp_icpc = np.concatenate([r[3] for r in cpp_rows])
    np.maximum.at(ep_act, cpp_ep, np.where(cpp_end == NA, cpp_start, cpp_end))

    # Conferences: one per plan started in the year, then ones that led to no plan.
    plan_conf = np.flatnonzero(cpp_icpc)
    s47_ep = [cpp_ep[plan_conf]]
    s47_icpc = [cpp_start[plan_conf]]
    extra_icpc = max(0, t.icpc - len(plan_conf))
    cand = np.flatnonzero(
        ((ep_kind == 2) | (ep_kind == 3)) & done_assessed & ~has_cpp & (ep_lim - ep_act > 25)
    )
    cand = cand[cand < R]
    h = _choose(rng, cand, extra_icpc)
    ic = cal.add(ep_act[h] - 5, rng.integers(2, 15, size=len(h)))
    ok = (ic <= ep_lim[h]) & (ic >= ys)
    s47_ep.append(h[ok])
    s47_icpc.append(ic[ok])
    conf_ep = np.concatenate(s47_ep)
    conf_date = np.concatenate(s47_icpc).astype(np.int64)
    has_s47 = np.zeros(n_ep, dtype=bool)
    has_s47[conf_ep] = True
    # Enquiry start: 1-15 working days before the conference, or later for the late share.
    n_conf = len(conf_ep)
    wd = rng.integers(1, 16, size=n_conf)
    # A carried episode's referral date is known already when it was carried.
    known = conf_ep < R if carry is None else np.ones(n_conf, dtype=bool)
    floor = np.where(known, ep_ref[np.minimum(conf_ep, n_ep - 1)], NA)
    room = np.where(known, cal.count(np.maximum(floor, ys - 400), conf_date), 999)
    late = _choose(rng, np.flatnonzero(room >= 16), round((1 - t.icpc_15_share) * n_conf))
    wd[late] = np.minimum(rng.integers(16, 31, size=len(late)), room[late])
    conf_start = cal.add(conf_date, -wd, roll="backward")
    conf_start = np.maximum(conf_start, floor)
    # Enquiries without a conference.
    in_year = int(((conf_start >= ys) & (conf_start <= ye)).sum())
    more = max(0, t.section47 - in_year)
    cand = np.flatnonzero(((ep_kind == 2) | (ep_kind == 3)) & done_assessed & ~has_s47)
    cand = cand[cand < R]
    h = _choose(rng, cand, more)
    base = np.where(h < R, ep_ref[np.minimum(h, n_ep - 1)], ys)
    ns_start = np.minimum(base + rng.integers(0, 6, size=len(h)), ep_lim[h])
    ns_start = np.maximum(ns_start, ys)
    pending = (ep_kind[h] == 3) & (cal.count(ns_start, np.full(len(h), ye)) < 15)
    s47 = {
        "episode": np.concatenate([conf_ep, h]),
        "start": np.concatenate([conf_start, ns_start]),
        "icpc": np.concatenate([conf_date, np.full(len(h), NA)]),
        "not_required": np.concatenate([np.zeros(n_conf, bool), ~pending]),
    }
    s47["target"] = cal.add(s47["start"], np.full(len(s47["start"]), 15))
    np.maximum.at(ep_act, s47["episode"], np.where(s47["icpc"] == NA, s47["start"], s47["icpc"]))

    # Carried referral dates, now that plan starts bound them.
    if carry is None:
        c_ref = ys - 1 - np.minimum(rng.lognormal(np.log(200), 0.9, size=C), 4000).astype(np.int64)
        c_ref[:L] = np.maximum(first_ref[link_kids] - 360, ys - 1 - rng.integers(0, 300, size=L))
        c_ref[:L] = np.minimum(c_ref[:L], ys - 1)
        bound = np.full(n_ep, np.iinfo(np.int64).max)
        np.minimum.at(bound, cpp_ep, cpp_start - 3)
        np.minimum.at(bound, s47["episode"], s47["start"])
        c_ref = np.minimum(c_ref, bound[R:] - rng.integers(0, 60, size=C))
        ep_ref[R:] = c_ref

    # Closures.
    closed = (ep_kind <= 2) | (ep_kind == 4)
    ep_close[ep_kind == 0] = ep_ref[ep_kind == 0]
    nin_eps = np.flatnonzero(ep_kind == 1)
    ep_close[nin_eps] = np.minimum(
        ep_act[nin_eps] + rng.integers(0, 3, size=len(nin_eps)), ep_lim[nin_eps]
    )
    cl = np.flatnonzero(ep_kind == 2)
    gap = ep_lim[cl] - ep_act[cl]
    ep_close[cl] = ep_act[cl] + (rng.random(len(cl)) * np.minimum(gap + 1, 90)).astype(np.int64)
    ep_close[R:][c_closed] = np.maximum(c_close[c_closed], ep_act[R:][c_closed])
    reason = np.full(n_ep, None, dtype=object)
    reason[ep_kind == 0] = "RC7"
    reason[nin_eps] = np.where(rng.random(len(nin_eps)) < 0.6, "RC8", "RC9")
    others = np.flatnonzero(closed & (ep_kind != 0) & (ep_kind != 1))
    reason[others] = _pick(rng, _CLOSE_REASONS, len(others))

    # CIN plans for CIN episodes without child protection.
    cand = np.flatnonzero(
        ((ep_kind >= 2) & ~has_cpp & ~ep_await) & ((ep_kind != 4) | (np.arange(n_ep) >= R + L))
    )
    p_ep = _choose(rng, cand, round(0.55 * len(cand)))
    a_auth_by_ep = np.full(n_ep, NA, dtype=np.int64)
    a_auth_by_ep[a_ep_done] = a_auth
    p_start = np.where(a_auth_by_ep[p_ep] != NA, a_auth_by_ep[p_ep], ep_ref[p_ep] + 20)
    p_start = np.minimum(np.maximum(p_start, ep_ref[p_ep]), ye)
    p_end = np.where(ep_close[p_ep] != NA, ep_close[p_ep], NA)
    p_ok = (p_end == NA) | ((p_end > p_start) & (p_end >= ys))
    p_start_ok = p_start <= np.where(p_end == NA, ye, p_end)
    sel = p_ok & p_start_ok
    plan = {"episode": p_ep[sel], "start": p_start[sel], "end": p_end[sel]}

    # Plan details, reviews, previous plans.
    n_cpp = len(cpp_ep)
    prev = np.zeros(n_cpp, dtype=np.int64)
    started_in_year = (cpp_start >= ys) & (cpp_start <= ye)
    if carry is None or carry.had_plan is None:
        sub = _choose(rng, np.flatnonzero(started_in_year), t.cpp_subsequent)
    else:
        # Plans of children known to have had one take the mark first.
        had = np.zeros(n_ch + C - L, dtype=bool)
        had[c_child] = carry.had_plan[perm]
        cand = np.flatnonzero(started_in_year)
        sub = _choose(rng, cand, t.cpp_subsequent, 1.0 + 1e6 * had[ep_child[cpp_ep[cand]]])
    prev[sub] = rng.geometric(0.6, size=len(sub))
    old = np.flatnonzero(~started_in_year)
    prev[old] = np.where(rng.random(len(old)) < 0.2, rng.geometric(0.6, size=len(old)), 0)
    init_cat = _pick(rng, _CATEGORIES, n_cpp)
    latest_cat = np.where(rng.random(n_cpp) < 0.9, init_cat, _pick(rng, _CATEGORIES, n_cpp))
    if carry is not None:
        # Carried plans keep what the previous return said of them.
        was = np.flatnonzero((cpp_ep >= R) & ~started_in_year)
        src = perm[cpp_ep[was] - R]
        prev[was] = carry.plan_previous[src]
        init_cat[was] = carry.plan_initial[src]
        latest_cat[was] = carry.plan_latest[src]
    j = np.arange(10)
    rv = cpp_start[:, None] + 91 + 182 * j[None, :]
    rv_end = np.where(cpp_end == NA, ye, cpp_end)
    rv_ok = (rv >= ys) & (rv <= rv_end[:, None])
    rv_cpp = np.nonzero(rv_ok)[0]
    review = {"cpp": rv_cpp, "date": cal.roll_back(rv[rv_ok])}
    review["date"] = np.maximum(review["date"], cpp_start[rv_cpp] + 1)

    # 5. Factors on completed assessments.
    fin = a_auth >= ys
    fac_eps = a_ep_done[fin]
    # Factors go to CIN episodes first, then to those assessed not in need.
    is_nin = ep_kind[fac_eps] == 1
    ranked = np.concatenate(
        [rng.permutation(np.flatnonzero(~is_nin)), rng.permutation(np.flatnonzero(is_nin))]
    )
    with_f = ranked[: t.factor_episodes]
    a_rows = np.flatnonzero(fin)[with_f]
    counts = np.array([t.factor_counts[c] for c in FACTOR_COLUMNS], dtype=np.int64)
    codes = [FACTOR_COLUMNS[c][-1] for c in FACTOR_COLUMNS]
    nf = len(a_rows)
    f_rows: list[np.ndarray] = []
    f_codes: list[np.ndarray] = []
    if nf and counts.sum():
        share = counts / counts.sum() * nf
        prim_n = np.floor(share).astype(np.int64)
        short = nf - prim_n.sum()
        prim_n[np.argsort(-(share - prim_n))[:short]] += 1
        prim_n = np.minimum(prim_n, counts)
        primary = rng.permutation(np.repeat(np.arange(len(codes)), prim_n))[:nf]
        primary = np.concatenate([primary, np.full(nf - len(primary), len(codes) - 1)])
        for f, code in enumerate(codes):
            has = np.flatnonzero(primary == f)
            add = _choose(rng, np.flatnonzero(primary != f), counts[f] - len(has))
            rows = np.concatenate([has, add])
            f_rows.append(a_rows[rows])
            f_codes.append(np.full(len(rows), code, dtype=object))
    # Without factors: "21 no factors identified" when assessed not in need; a CIN
    # episode keeps no factors at all (what a return with missing factors looks like).
    no_f = np.setdiff1d(np.flatnonzero(fin), a_rows)
    no_f = no_f[ep_kind[a_ep_done[no_f]] == 1]
    f_rows.append(no_f)
    f_codes.append(np.full(len(no_f), "21", dtype=object))
    fr = np.concatenate(f_rows) if f_rows else np.zeros(0, np.int64)
    fc = np.concatenate(f_codes) if f_codes else np.zeros(0, object)

    # Assessment table (completed + awaiting-started).
    assessment = {
        "episode": np.concatenate([a_ep_done, aw_started]),
        "start": np.concatenate([a_start, aw_start]),
        "auth": np.concatenate([a_auth, np.full(len(aw_started), NA)]),
    }
    factor = {"assessment": fr, "code": fc}

    # Children.
    n_children = n_ch + (C - L)
    first = np.full(n_children, np.iinfo(np.int64).max)
    np.minimum.at(first, ep_child, ep_ref)
    age = rng.choice(18, size=n_children, p=_AGE_WEIGHTS / _AGE_WEIGHTS.sum())
    birth = first - (age * 365.25).astype(np.int64) - rng.integers(0, 365, size=n_children)
    birth = np.minimum(np.maximum(birth, ye - 6500), first)
    sex = rng.choice(
        np.array(["M", "F", "U"], dtype=object), size=n_children, p=[0.515, 0.48, 0.005]
    )
    n_dis = np.where(rng.random(n_children) < 0.12, rng.integers(1, 3, size=n_children), 0)
    d_child = np.repeat(np.arange(n_children), np.maximum(n_dis, 1))
    d_code = np.full(len(d_child), "NONE", dtype=object)
    dpos = np.arange(len(d_child)) - np.repeat(
        np.cumsum(np.maximum(n_dis, 1)) - np.maximum(n_dis, 1), np.maximum(n_dis, 1)
    )
    has_d = n_dis[d_child] > 0
    first_code = rng.integers(0, len(_DISABILITIES), size=n_children)
    d_code[has_d] = np.array(_DISABILITIES, dtype=object)[
        (first_code[d_child[has_d]] + 5 * dpos[has_d]) % len(_DISABILITIES)
    ]
    child = {
        "birth": birth,
        "sex": sex,
        "ethnicity": _pick(rng, _ETHNICITY, n_children),
        "school_age": (ye - birth) >= 4 * 365 + 1,
    }

    need = _pick(rng, _NEEDS, n_ep)
    need[ep_kind == 0] = None
    source = _pick(rng, _SOURCES, n_ep)
    child_carry = None
    if carry is not None:
        need[R:] = carry.need[perm]
        source[R:] = carry.source[perm]
        child_carry = np.full(n_children, -1, dtype=np.int64)
        child_carry[c_child] = perm
    episode = {
        "child": ep_child,
        "ref": ep_ref,
        "close": ep_close,
        "reason": reason,
        "nfa": ep_kind == 0,
        "need": need,
        "source": source,
        "kind": ep_kind,
    }
    cpp = {
        "episode": cpp_ep,
        "start": cpp_start,
        "end": cpp_end,
        "initial": init_cat,
        "latest": latest_cat,
        "previous": prev,
    }
    return SyntheticReturn(
        targets=t,
        seed=seed,
        year_start=ys,
        reference=ye,
        child=child,
        disability={"child": d_child, "code": d_code},
        episode=episode,
        assessment=assessment,
        factor=factor,
        plan=plan,
        s47=s47,
        cpp=cpp,
        review=review,
        child_carry=child_carry,
    )
