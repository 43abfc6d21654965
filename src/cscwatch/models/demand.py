"""Drivers of demand: an authority × year panel of a demand rate on its context.

Fixed-effects model
-------------------
``y_it = x_it' β + α_i + γ_t + ε_it`` for authority ``i`` and year ``t``, where ``x`` is
need only: deprivation (``fsm_primary_pct``), under-18 conceptions per 1,000 and the
log of the population aged 0–17. Estimated by ``linearmodels.PanelOLS`` with entity
and time effects; standard errors clustered by authority. Rows lacking any variable
are dropped (the LAIT covariates start in 2016 and conceptions end in 2022, so the
default sample is 2016–2022).

Spend is a labelled sensitivity only (``--with-spend``): the log of section 251 gross
spend per child aged 0–17 on safeguarding services, family support and children's
centres. Authorities with more plans and more children in need must spend more on
safeguarding, so spend plausibly follows demand (reverse causation); its positive
coefficient is an association, not an effect of spending.

Variance decomposition
----------------------
The R² of OLS on every subset of three blocks — covariates ``X``, year dummies ``T``,
authority dummies ``A`` — gives each block's sequential share in every order of entry
(its R² gain when it enters after the blocks before it). Reported: the Shapley value,
the average over the 3! orders, ``φ_B = Σ_{S ∌ B} |S|!(2-|S|)!/3! · (R²(S∪B) − R²(S))``,
and the smallest and largest share over the orders. The Shapley values add up to the
full model's R²; ``1 − R²`` is left unexplained. The covariates vary mostly between
authorities, so how their shared variation is split with the authority effects is a
convention: the range shows how much (see the comparison with the NAO below).

Event study of children's-centre spending cuts
----------------------------------------------
An authority's event year ``E_i`` is the first year (from 2018) in which its
children's-centre spend per child fell by at least :data:`CUT_SHARE` on the year
before. With never-cut authorities as controls,
``y_it = Σ_{k≠−1} δ_k 1[t − E_i = k] + α_i + γ_t + ε_it``, event time binned at
−4 and +4, clustered by authority. Leads ``δ_{−4..−2}`` test pre-trends (joint Wald
test); the difference-in-differences estimate pools the post years.
Two-way fixed effects with staggered timing can be biased when effects vary by cohort,
so the interaction-weighted estimator of Sun & Abraham (2021) is reported beside it:
cohort × event-time dummies (every event time but −1, never-cut authorities as the
control) in the same two-way model, then ``δ_k = Σ_c w_ck δ_ck`` with ``w_ck`` each
cohort's share of the cut authority-years at event time ``k``; its variance is
``w' V w`` from the clustered covariance, and its leads get their own Wald test.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
from linearmodels.panel import PanelOLS
from scipy import stats
from threadpoolctl import threadpool_limits

from cscwatch.core.errors import InputError
from cscwatch.models._data import load_panel, load_population
from cscwatch.models._results import dump, load, opt

__all__ = [
    "COVARIATES",
    "CUT_SHARE",
    "OUTCOMES",
    "SPEND_COVARIATES",
    "Coefficient",
    "DemandModel",
    "DemandResults",
    "EventStudy",
    "Share",
    "event_study",
    "order_marginals",
    "shapley_r2",
]

OUTCOMES = (
    "cpp_starts_per_10k",
    "cin_at31_per_10k",
    "s47_per_10k",
    "lac_at31_per_10k",
    "lac_starts_per_10k",
)
_SPEND = (
    "spend_safeguarding_per_child",
    "spend_family_support_per_child",
    "spend_children_centres_per_child",
)
#: Need only: the default covariates.
COVARIATES = ("fsm_primary_pct", "under18_conceptions_per_1000", "log_population")
#: The spend sensitivity adds these (reverse causation: see the module docstring).
SPEND_COVARIATES = tuple(f"log_{s}" for s in _SPEND)
CUT_SHARE = 0.30
_WINDOW = (-4, 4)


@dataclass(frozen=True)
class Coefficient:
    """One estimate with its clustered standard error and 95% interval."""

    name: str
    estimate: float
    std_error: float
    lower: float
    upper: float
    p_value: float


@dataclass(frozen=True)
class Share:
    """One block's Shapley share of R² (``share_of_variance``) and the smallest and
    largest sequential share over every order of entry."""

    block: str
    r2: float
    share_of_variance: float
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class EventStudy:
    """Event-study coefficients (event time → estimate) and the pooled DiD.

    ``coefficients`` are the binned two-way fixed-effects estimates; ``iw_coefficients``
    the interaction-weighted estimates of Sun & Abraham (2021), robust to effects that
    differ between cohorts of cut years.
    """

    outcome: str
    n_obs: int
    n_treated: int
    n_control: int
    coefficients: tuple[tuple[int, Coefficient], ...]
    pretrend_wald: float | None
    pretrend_df: int
    pretrend_p: float | None
    did: Coefficient
    iw_coefficients: tuple[tuple[int, Coefficient], ...] = ()
    iw_pretrend_wald: float | None = None
    iw_pretrend_p: float | None = None


@dataclass(frozen=True)
class DemandResults:
    """Two-way fixed effects, variance decomposition and event study (read-only)."""

    outcome: str
    n_obs: int
    n_authorities: int
    years: tuple[int, ...]
    coefficients: tuple[Coefficient, ...]
    r2_within: float
    decomposition: tuple[Share, ...]
    unexplained_share: float
    event: EventStudy | None

    def to_frame(self) -> pd.DataFrame:
        """The coefficient table."""
        return pd.DataFrame([dump(c) for c in self.coefficients]).set_index("name")

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-able dict."""
        return dump(self)

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> DemandResults:
        """Inverse of :meth:`to_dict`."""
        return load(cls, data)

    @property
    def summary(self) -> str:
        """Plain-text summary."""
        out = [
            f"{self.outcome}: {self.n_obs} authority-years, {self.n_authorities} "
            f"authorities, {self.years[0]}–{self.years[-1]}; within R² {self.r2_within:.3f}"
        ]
        for c in self.coefficients:
            out.append(
                f"  {c.name:<38} {c.estimate:9.3f} ({c.lower:.3f} to {c.upper:.3f}) "
                f"p={c.p_value:.3f}"
            )
        out.append(
            "Variance shares: "
            + ", ".join(f"{s.block} {s.share_of_variance:.1%}" for s in self.decomposition)
            + f", unexplained {self.unexplained_share:.1%}"
        )
        return "\n".join(out)


def _coef(name: str, est: float, se: float, p: float) -> Coefficient:
    return Coefficient(
        name,
        float(est),
        float(se),
        float(est - 1.959964 * se),
        float(est + 1.959964 * se),
        float(p),
    )


def _r2(y: np.ndarray, blocks: list[np.ndarray]) -> float:
    x = np.column_stack([np.ones_like(y), *blocks]) if blocks else np.ones((y.size, 1))
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    resid = y - x @ beta
    return float(1 - resid @ resid / np.sum((y - y.mean()) ** 2))


def order_marginals(y: np.ndarray, blocks: dict[str, np.ndarray]) -> dict[str, list[float]]:
    """Each block's R² gain in every order of entry (one list entry per order)."""
    names = list(blocks)
    cache: dict[frozenset[str], float] = {frozenset(): 0.0}

    def r2(s: frozenset[str]) -> float:
        if s not in cache:
            cache[s] = _r2(y, [blocks[n] for n in names if n in s])
        return cache[s]

    out: dict[str, list[float]] = {b: [] for b in names}
    for perm in itertools.permutations(names):
        seen: frozenset[str] = frozenset()
        for b in perm:
            out[b].append(r2(seen | {b}) - r2(seen))
            seen = seen | {b}
    return out


def shapley_r2(y: np.ndarray, blocks: dict[str, np.ndarray]) -> dict[str, float]:
    """Shapley decomposition of OLS R² over blocks of regressors."""
    return {b: float(np.mean(m)) for b, m in order_marginals(y, blocks).items()}


def _dummies(codes: pd.Series) -> np.ndarray:
    d = pd.get_dummies(codes.astype(str), drop_first=True, dtype=float)
    return d.to_numpy()


def _frame(con: duckdb.DuckDBPyConnection, outcome: str) -> pd.DataFrame:
    raw = ("fsm_primary_pct", "under18_conceptions_per_1000", *_SPEND)
    panel = load_panel(con, (outcome, *raw))
    panel["log_population"] = np.log(load_population(con).reindex(panel.index))
    for s in _SPEND:
        panel[f"log_{s}"] = np.log(panel[s].where(panel[s] > 0))
    return panel


class DemandModel:
    """``DemandModel(con, outcome).fit()`` → :class:`DemandResults`."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        outcome: str = "cpp_starts_per_10k",
        *,
        covariates: tuple[str, ...] = COVARIATES,
        event_outcome: str | None = None,
    ) -> None:
        if outcome not in OUTCOMES:
            raise InputError(f"unknown outcome {outcome!r}; use one of {', '.join(OUTCOMES)}")
        self.con, self.outcome, self.covariates = con, outcome, covariates
        self.event_outcome = event_outcome or outcome

    def fit(self) -> DemandResults:
        """Fit the fixed-effects model, decompose variance, run the event study."""
        # One BLAS thread: small matrices (one row per authority-year), where extra
        # threads only spin; with the default threads `analyse demand --nao` took 34.8 s
        # of CPU on a loaded 2-core machine, 3.9 s with one (suite4b, 2 December)
        with threadpool_limits(limits=1):
            return self._fit()

    def _fit(self) -> DemandResults:
        data = _frame(self.con, self.outcome)
        d = data[[self.outcome, *self.covariates]].dropna()
        if d.empty:
            raise InputError(f"no complete authority-years for {self.outcome}")
        res = PanelOLS(
            d[self.outcome],
            d[list(self.covariates)],
            entity_effects=True,
            time_effects=True,
            drop_absorbed=True,
        ).fit(cov_type="clustered", cluster_entity=True)
        coefs = tuple(
            _coef(n, res.params[n], res.std_errors[n], res.pvalues[n]) for n in res.params.index
        )
        y = d[self.outcome].to_numpy()
        idx = d.index.to_frame(index=False)
        x = d[list(self.covariates)].to_numpy()
        marginals = order_marginals(
            y,
            {
                "covariates": (x - x.mean(axis=0)),
                "year effects": _dummies(idx["year"]),
                "authority effects": _dummies(idx["la_code"]),
            },
        )
        shares = tuple(
            Share(k, float(np.mean(m)), float(np.mean(m)), float(min(m)), float(max(m)))
            for k, m in marginals.items()
        )
        total = sum(s.share_of_variance for s in shares)
        event = event_study(self.con, self.event_outcome)
        return DemandResults(
            outcome=self.outcome,
            n_obs=len(d),
            n_authorities=int(idx["la_code"].nunique()),
            years=tuple(int(v) for v in sorted(idx["year"].unique())),
            coefficients=coefs,
            r2_within=float(res.rsquared_within),
            decomposition=shares,
            unexplained_share=float(1 - total),
            event=event,
        )


def event_study(con: duckdb.DuckDBPyConnection, outcome: str) -> EventStudy:
    """Event study and DiD of children's-centre spending cuts on ``outcome``."""
    panel = load_panel(con, (outcome, "spend_children_centres_per_child"))
    cc = panel["spend_children_centres_per_child"].unstack("year")
    ratio = cc / cc.shift(1, axis=1)
    cut = (ratio <= 1 - CUT_SHARE) & (cc.columns.to_numpy()[None, :] >= 2018)
    event_year = cut.idxmax(axis=1).where(cut.any(axis=1))
    ever_observed = cc.notna().sum(axis=1) >= 3
    d = panel[[outcome]].dropna().reset_index()
    d = d.loc[d["la_code"].isin(ever_observed.index[ever_observed])]
    d["event"] = d["la_code"].map(event_year)
    rel = (d["year"] - d["event"]).clip(*_WINDOW)
    names = []
    for k in range(_WINDOW[0], _WINDOW[1] + 1):
        if k == -1:
            continue
        n = f"e{k:+d}"
        d[n] = ((rel == k) & d["event"].notna()).astype(float)
        names.append((k, n))
    d["post"] = ((rel >= 0) & d["event"].notna()).astype(float)
    d = d.set_index(["la_code", "year"])
    cols = [n for _, n in names]
    res = PanelOLS(d[outcome], d[cols], entity_effects=True, time_effects=True).fit(
        cov_type="clustered", cluster_entity=True
    )
    leads = [n for k, n in names if k < -1]
    restriction = np.array([[1.0 if c == n else 0.0 for c in cols] for n in leads])
    wald = res.wald_test(restriction=restriction, value=np.zeros(len(leads)))
    did = PanelOLS(d[outcome], d[["post"]], entity_effects=True, time_effects=True).fit(
        cov_type="clustered", cluster_entity=True
    )
    treated = d["event"].notna().groupby(level="la_code").any()
    iw, iw_wald, iw_p = _interaction_weighted(d, outcome)
    return EventStudy(
        outcome=outcome,
        n_obs=len(d),
        n_treated=int(treated.sum()),
        n_control=int((~treated).sum()),
        coefficients=tuple(
            (k, _coef(n, res.params[n], res.std_errors[n], res.pvalues[n])) for k, n in names
        ),
        pretrend_wald=opt(wald.stat),
        pretrend_df=int(wald.df),
        pretrend_p=opt(wald.pval),
        did=_coef("post_cut", did.params["post"], did.std_errors["post"], did.pvalues["post"]),
        iw_coefficients=iw,
        iw_pretrend_wald=iw_wald,
        iw_pretrend_p=iw_p,
    )


def _interaction_weighted(
    d: pd.DataFrame, outcome: str
) -> tuple[tuple[tuple[int, Coefficient], ...], float | None, float | None]:
    """Sun & Abraham's interaction-weighted event-study estimates and lead Wald test.

    Cohorts never observed in the year before their cut (event time −1, the reference)
    are left out: their effects cannot be told apart from their authority effects.
    """
    year0 = d.index.get_level_values("year").to_numpy()
    event0 = d["event"].to_numpy(dtype=float)
    with_ref = set(event0[(year0 - event0) == -1])
    d = d.loc[np.isnan(event0) | np.isin(event0, list(with_ref))]
    year = d.index.get_level_values("year").to_numpy()
    event = d["event"].to_numpy(dtype=float)
    rel = year - event
    cols: dict[str, np.ndarray] = {}
    cells: list[tuple[int, int, str]] = []
    for c in sorted(set(event[~np.isnan(event)])):
        for k in sorted(set(rel[event == c])):
            if k == -1:
                continue
            name = f"c{int(c)}_k{int(k) + 100}"
            cols[name] = ((event == c) & (rel == k)).astype(float)
            cells.append((int(c), int(k), name))
    x = pd.DataFrame(cols, index=d.index)
    res = PanelOLS(d[outcome], x, entity_effects=True, time_effects=True).fit(
        cov_type="clustered", cluster_entity=True
    )
    names = list(res.params.index)
    beta, cov = res.params.to_numpy(), res.cov.to_numpy()
    ks = [k for k in range(_WINDOW[0], _WINDOW[1] + 1) if k != -1]
    rows, kept = [], []
    for k in ks:
        here = [(name, cols[name].sum()) for _, kk, name in cells if kk == k and name in names]
        total = sum(n for _, n in here)
        if not here or total == 0:
            continue
        w = np.zeros(len(names))
        for name, n in here:
            w[names.index(name)] = n / total
        rows.append(w)
        kept.append(k)
    if not rows:
        return (), None, None
    wmat = np.vstack(rows)
    est, var = wmat @ beta, wmat @ cov @ wmat.T
    se = np.sqrt(np.diag(var))
    z = est / se
    pvals = 2 * stats.norm.sf(np.abs(z))
    coefs = tuple((k, _coef(f"iw{k:+d}", est[i], se[i], pvals[i])) for i, k in enumerate(kept))
    lead = [i for i, k in enumerate(kept) if k < -1]
    if not lead:
        return coefs, None, None
    e, v = est[lead], var[np.ix_(lead, lead)]
    stat = float(e @ np.linalg.solve(v, e))
    return coefs, opt(stat), opt(float(stats.chi2.sf(stat, len(lead))))
