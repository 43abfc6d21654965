"""New child protection plans set beside the NAO's 2019 decomposition.

The National Audit Office's *Pressures on children's social care* (HC 1868, January
2019) is reported to have split the variation in new child protection plans per child
across authorities and the years 2010-11 to 2016-17 into deprivation (about 15%),
common year effects (about 10%) and authority characteristics (about 44%), with
spending deliberately left out (what of this could be checked is listed on the
methods page). This module fits the same kind of model on the years the warehouse
can support.

Model
-----
``y_it = x_it' β + γ_t + α_i + ε_it`` where ``y`` is child protection plans started in
the year per 10,000 children aged 0–17 (``cpp_starts_per_10k``), ``x`` holds measures
of need only — deprivation and under-18 conceptions per 1,000 girls aged 15–17 — and
``γ_t``, ``α_i`` are year and authority effects. ``β`` is estimated by
``linearmodels.PanelOLS`` (both effects absorbed) with standard errors clustered by
authority. A covariate that does not change within an authority (the time-fixed
deprivation variant) is absorbed by ``α_i``; its coefficient is then the
between-authority estimate from the same model without authority effects (year
effects kept, still clustered by authority), and is labelled so.

Variance shares
---------------
The regressors form blocks ``B`` — deprivation, conceptions, year dummies, authority
dummies (and spend in the sensitivity). ``R²(S)`` is the R² of OLS of ``y`` on the
blocks in ``S`` with an intercept. For an order of entry ``π`` the sequential share of
block ``B`` is ``R²(P_π(B) ∪ {B}) − R²(P_π(B))``, ``P_π(B)`` the blocks entered
before it. Three summaries are reported, each over the same ``R²(S)``:

* **NAO order**: deprivation, then conceptions (then spend, in the sensitivity), then
  year effects, then authority effects — the order in which the NAO lists its shares,
  so authority effects get only what need and common years leave;
* **Shapley**: the average sequential share over all ``k!`` orders;
* **range**: the smallest and largest sequential share over all orders.

All three add up (per order) to the full model's ``R²``; ``1 − R²`` is unexplained.
When blocks are orthogonal the three coincide; the width of the range is how much of
the answer is the order of entry rather than the data.

Spend is a sensitivity only: the log of section 251 gross spend per child on
safeguarding services enters as a fifth block, with the caveat that spend plausibly
follows plans (authorities with more plans must spend more), so its share and
coefficient are not an effect of spending.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
from linearmodels.panel import PanelOLS
from threadpoolctl import threadpool_limits

from cscwatch.core.errors import InputError
from cscwatch.models._data import load_panel
from cscwatch.models._results import dump, load
from cscwatch.models.demand import Coefficient, _coef, _dummies, order_marginals

__all__ = [
    "NAO_ORDER",
    "NAO_REFERENCE",
    "NAO_SPEND",
    "OUTCOME",
    "SPEND_CAVEAT",
    "VARIANTS",
    "BlockShare",
    "NaoDemandModel",
    "NaoResults",
    "NaoVariant",
    "decompose",
]

OUTCOME = "cpp_starts_per_10k"
FSM = "fsm_primary_pct"
LOW_INCOME = "children_low_income_pct"
CONCEPTIONS = "under18_conceptions_per_1000"
#: The spend measure of the sensitivity (section 251 safeguarding block per child).
NAO_SPEND = "spend_safeguarding_per_child"

DEPRIVATION, CONCEPTION_BLOCK = "deprivation", "under-18 conceptions"
YEAR, AUTHORITY, SPEND = "year effects", "authority effects", "spend (sensitivity)"
#: The order of entry of the NAO's report: need, common years, then authorities.
NAO_ORDER = (DEPRIVATION, CONCEPTION_BLOCK, SPEND, YEAR, AUTHORITY)
#: The NAO's shares of variation in new plans per child, 2010-11 to 2016-17 (HC 1868).
NAO_REFERENCE = {DEPRIVATION: 0.15, YEAR: 0.10, AUTHORITY: 0.44}


@dataclass(frozen=True)
class _Spec:
    name: str
    label: str
    deprivation: str | None  # indicator id
    fixed: bool  # deprivation held at the authority's mean over its years
    conceptions: bool
    spend: bool
    window: tuple[int, int] | None = None  # years kept (inclusive); None = all


VARIANTS = (
    _Spec(
        "nao",
        "time-varying deprivation (FSM) and conceptions",
        FSM,
        False,
        True,
        False,
    ),
    _Spec(
        "fixed_deprivation",
        "time-fixed deprivation (children in low income families, authority mean "
        "2022–2025) and conceptions",
        LOW_INCOME,
        True,
        True,
        False,
    ),
    _Spec(
        "no_conceptions",
        "time-varying deprivation (FSM) only, every year FSM allows",
        FSM,
        False,
        False,
        False,
    ),
    _Spec(
        "effects_only_2013_2017",
        "year and authority effects only, 2013–2017 (the years nearest the NAO's)",
        None,
        False,
        False,
        False,
        (2013, 2017),
    ),
    _Spec(
        "spend_sensitivity",
        "SENSITIVITY: as 'nao' plus log safeguarding spend per child",
        FSM,
        False,
        True,
        True,
    ),
)

SPEND_CAVEAT = (
    "Spend is not a driver here: authorities with more child protection plans must "
    "spend more on safeguarding, so spend plausibly follows plans (reverse causation) "
    "and its share and coefficient are an association, not an effect. The NAO's model "
    "is reported to have left spending out."
)


@dataclass(frozen=True)
class BlockShare:
    """One block's share of the variance: in the NAO's order, Shapley, and the range
    over every order of entry; ``nao_2019`` is the NAO's published share, if any."""

    block: str
    nao_order: float
    shapley: float
    low: float
    high: float
    nao_2019: float | None


@dataclass(frozen=True)
class NaoVariant:
    """One specification: sample, coefficients and variance shares."""

    name: str
    label: str
    sensitivity: bool
    covariates: tuple[str, ...]
    n_obs: int
    n_authorities: int
    years: tuple[int, ...]
    coefficients: tuple[Coefficient, ...]
    coefficient_basis: str
    n_clusters: int
    r2: float
    unexplained: float
    shares: tuple[BlockShare, ...]
    caveat: str

    def share(self, block: str) -> BlockShare:
        """The named block's shares."""
        return next(s for s in self.shares if s.block == block)


@dataclass(frozen=True)
class NaoResults:
    """Every specification of the NAO-comparable demand model (read-only)."""

    outcome: str
    variants: tuple[NaoVariant, ...]
    nao_reference: tuple[tuple[str, float], ...]

    def variant(self, name: str) -> NaoVariant:
        """The named specification."""
        return next(v for v in self.variants if v.name == name)

    def to_frame(self) -> pd.DataFrame:
        """One row per variant and block."""
        return pd.DataFrame(
            [{"variant": v.name, **dump(s)} for v in self.variants for s in v.shares]
        )

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-able dict."""
        return dump(self)

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> NaoResults:
        """Inverse of :meth:`to_dict`."""
        return load(cls, data)

    @property
    def summary(self) -> str:
        """Plain-text summary."""
        out = []
        for v in self.variants:
            out.append(
                f"{v.name} ({v.label}): {v.n_obs} authority-years, {v.n_authorities} "
                f"authorities, {v.years[0]}–{v.years[-1]}; R² {v.r2:.3f}"
            )
            for s in v.shares:
                nao = "–" if s.nao_2019 is None else f"{s.nao_2019:.0%}"
                out.append(
                    f"  {s.block:<22} NAO order {s.nao_order:6.1%}  Shapley {s.shapley:6.1%}"
                    f"  range {s.low:6.1%}–{s.high:6.1%}  NAO 2019 {nao}"
                )
            out.append(f"  {'unexplained':<22} {v.unexplained:6.1%}")
        return "\n".join(out)


def decompose(
    y: np.ndarray, blocks: dict[str, np.ndarray], order: tuple[str, ...]
) -> tuple[tuple[BlockShare, ...], float]:
    """Sequential (in ``order``), Shapley and min–max shares of R² over all orders.

    Parameters
    ----------
    y
        The outcome.
    blocks
        Block name → regressor matrix (rows as ``y``).
    order
        The order of entry for the sequential shares; names not in ``blocks`` are
        skipped, and every block must appear.

    Returns
    -------
    tuple
        The shares (in ``order``) and the full model's R².
    """
    names = [b for b in order if b in blocks]
    if set(names) != set(blocks):
        raise InputError(f"order {order} does not name every block of {sorted(blocks)}")
    ordered = {b: blocks[b] for b in names}
    marginal = order_marginals(y, ordered)
    # order_marginals walks the permutations in order: the first is ``names`` itself
    shares = tuple(
        BlockShare(
            b,
            _zero(marginal[b][0]),
            _zero(float(np.mean(marginal[b]))),
            _zero(min(marginal[b])),
            _zero(max(marginal[b])),
            NAO_REFERENCE.get(b),
        )
        for b in names
    )
    return shares, float(sum(marginal[b][0] for b in names))


def _zero(x: float) -> float:
    """Rounding noise of a share that is zero in exact arithmetic → 0.0."""
    return 0.0 if abs(x) < 1e-12 else float(x)


class NaoDemandModel:
    """``NaoDemandModel(con).fit()`` → :class:`NaoResults` (every variant)."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, *, variants: tuple[str, ...] | None = None
    ) -> None:
        known = {s.name for s in VARIANTS}
        unknown = set(variants or ()) - known
        if unknown:
            raise InputError(
                f"unknown variant {sorted(unknown)[0]!r}; use one of {', '.join(sorted(known))}"
            )
        self.con = con
        self.specs = tuple(s for s in VARIANTS if variants is None or s.name in variants)

    def fit(self) -> NaoResults:
        """Fit every chosen variant (see the module docstring)."""
        panel = load_panel(self.con, (OUTCOME, FSM, LOW_INCOME, CONCEPTIONS, NAO_SPEND))
        with threadpool_limits(limits=1):  # small fits: extra BLAS threads only spin
            variants = tuple(_fit(panel, s) for s in self.specs)
        return NaoResults(OUTCOME, variants, tuple(NAO_REFERENCE.items()))


def _frame(panel: pd.DataFrame, spec: _Spec) -> tuple[pd.DataFrame, dict[str, str]]:
    """The variant's complete authority-years; block name → column."""
    d = pd.DataFrame(index=panel.index)
    d[OUTCOME] = panel[OUTCOME]
    cols: dict[str, str] = {}
    if spec.deprivation is not None:
        dep = panel[spec.deprivation]
        if spec.fixed:
            mean = dep.groupby(level="la_code").mean()
            dep = pd.Series(
                mean.reindex(panel.index.get_level_values("la_code")).to_numpy(),
                index=panel.index,
            )
        name = spec.deprivation + ("_authority_mean" if spec.fixed else "")
        d[name] = dep
        cols[DEPRIVATION] = name
    if spec.conceptions:
        d[CONCEPTIONS] = panel[CONCEPTIONS]
        cols[CONCEPTION_BLOCK] = CONCEPTIONS
    if spec.spend:
        name = f"log_{NAO_SPEND}"
        d[name] = np.log(panel[NAO_SPEND].where(panel[NAO_SPEND] > 0))
        cols[SPEND] = name
    d = d.dropna()
    if spec.window is not None:
        year = d.index.get_level_values("year")
        d = d.loc[(year >= spec.window[0]) & (year <= spec.window[1])]
    return d, cols


def _fit(panel: pd.DataFrame, spec: _Spec) -> NaoVariant:
    d, cols = _frame(panel, spec)
    if d.empty or d.index.get_level_values("year").nunique() < 2:
        raise InputError(f"{spec.name}: too few complete authority-years to fit")
    covs = list(cols.values())
    spread = d[covs].groupby(level="la_code").std(ddof=0).max()
    absorbed = [c for c in covs if not spread[c] > 1e-12]
    within = [c for c in covs if c not in absorbed]
    coefs = []
    if within:
        res = PanelOLS(d[OUTCOME], d[within], entity_effects=True, time_effects=True).fit(
            cov_type="clustered", cluster_entity=True
        )
        coefs = [
            _coef(n, res.params[n], res.std_errors[n], res.pvalues[n]) for n in res.params.index
        ]
    basis = "within authorities (authority and year effects), SEs clustered by authority"
    if absorbed:
        between = PanelOLS(d[OUTCOME], d[covs], time_effects=True).fit(
            cov_type="clustered", cluster_entity=True
        )
        coefs += [
            _coef(
                f"{n} (between authorities)",
                between.params[n],
                between.std_errors[n],
                between.pvalues[n],
            )
            for n in absorbed
        ]
        basis += (
            f"; {', '.join(absorbed)} does not vary within an authority: its coefficient "
            "is from the model without authority effects (year effects kept)"
        )
    idx = d.index.to_frame(index=False)
    blocks: dict[str, np.ndarray] = {
        b: d[[c]].to_numpy() - d[[c]].to_numpy().mean() for b, c in cols.items()
    }
    blocks[YEAR] = _dummies(idx["year"])
    blocks[AUTHORITY] = _dummies(idx["la_code"])
    shares, r2 = decompose(d[OUTCOME].to_numpy(), blocks, NAO_ORDER)
    return NaoVariant(
        name=spec.name,
        label=spec.label,
        sensitivity=spec.spend,
        covariates=tuple(covs),
        n_obs=len(d),
        n_authorities=int(idx["la_code"].nunique()),
        years=tuple(int(v) for v in sorted(idx["year"].unique())),
        coefficients=tuple(coefs),
        coefficient_basis=basis,
        n_clusters=int(idx["la_code"].nunique()),
        r2=float(r2),
        unexplained=float(1 - r2),
        shares=shares,
        caveat=SPEND_CAVEAT if spec.spend else "",
    )
