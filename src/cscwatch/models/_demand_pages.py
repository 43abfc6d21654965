"""The demand and forecast methods pages (written by :mod:`cscwatch.models.methods`)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from cscwatch.models import demand as demand_mod
from cscwatch.models import demand_nao as nao_mod
from cscwatch.models import forecast as forecast_mod
from cscwatch.models._pages import _ci, _docstring, _f, _fig, _pct, _save, _table

__all__ = ["_demand_page", "_forecast_page"]


# --------------------------------------------------------------------------- demand


def _shares_table(results: Sequence[demand_mod.DemandResults]) -> str:
    def cell(x: demand_mod.Share) -> str:
        return f"{x.share_of_variance:.1%} ({_pct(x.low)}–{_pct(x.high)})"

    return _table(
        [
            "outcome",
            "authority-years",
            "years",
            "covariates",
            "year effects",
            "authority effects",
            "unexplained",
        ],
        [
            [
                r.outcome,
                str(r.n_obs),
                f"{r.years[0]}–{r.years[-1]}",
                *[cell(s) for s in r.decomposition],
                f"{r.unexplained_share:.1%}",
            ]
            for r in results
        ],
    )


def _span(r: demand_mod.DemandResults | nao_mod.NaoVariant) -> str:
    return f"{r.years[0]}–{r.years[-1]}"


def _coef_table(results: Sequence[demand_mod.DemandResults]) -> str:
    return _table(
        ["outcome", *[c.name for c in results[0].coefficients]],
        [
            [
                r.outcome,
                *[f"{c.estimate:.2f} ({c.lower:.2f} to {c.upper:.2f})" for c in r.coefficients],
            ]
            for r in results
        ],
    )


def _nao_rows(res: nao_mod.NaoResults) -> list[list[str]]:
    rows = []
    for v in res.variants:
        for s in v.shares:
            rows.append(
                [
                    f"`{v.name}`",
                    s.block,
                    _pct(s.nao_order),
                    _pct(s.shapley),
                    f"{_pct(s.low)} to {_pct(s.high)}",
                    _pct(s.nao_2019),
                ]
            )
        rows.append([f"`{v.name}`", "unexplained", _pct(v.unexplained), "", "", ""])
    return rows


def _nao_section(res: nao_mod.NaoResults) -> list[str]:
    main = res.variant("nao")
    fixed = res.variant("fixed_deprivation")
    early = res.variant("effects_only_2013_2017")
    spend = res.variant("spend_sensitivity")
    d, a, t = main.share("deprivation"), main.share("authority effects"), main.share("year effects")
    c = main.share("under-18 conceptions")
    fd = fixed.share("deprivation")
    parts = [
        "## Beside the NAO (2019): `cscwatch analyse demand --nao`",
        "",
        _docstring(nao_mod),
        "",
        "### Specifications",
        "",
        _table(
            ["variant", "what", "authority-years", "authorities", "years", "R²"],
            [
                [f"`{v.name}`", v.label, str(v.n_obs), str(v.n_authorities), _span(v),
                 f"{v.r2:.3f}"]
                for v in res.variants
            ],
        ),
        "",
        "### Shares of the variance of new plans per 10,000 children",
        "",
        _table(
            ["variant", "block", "NAO order", "Shapley", "range over all orders", "NAO 2019"],
            _nao_rows(res),
        ),
        "",
        "Coefficients (95% intervals clustered by authority):",
        "",
        _table(
            ["variant", "covariate", "estimate (95% CI)", "p", "basis"],
            [
                [f"`{v.name}`", x.name, _ci(x.estimate, x.lower, x.upper), _f(x.p_value),
                 v.coefficient_basis]
                for v in res.variants
                for x in v.coefficients
            ],
        ),
        "",
        "### Why the figures differ from the NAO's 15 / 10 / 44",
        "",
        f"In the NAO's order the main specification gives deprivation {_pct(d.nao_order)}, "
        f"year effects {_pct(t.nao_order)} and authority effects {_pct(a.nao_order)} "
        f"(with conceptions {_pct(c.nao_order)} entered after deprivation), against the "
        f"NAO's 15%, 10% and 44%. The same regression, averaged over orders (Shapley), "
        f"gives authority effects {_pct(a.shapley)}; entered first they would take "
        f"{_pct(a.high)}. The drivers did not change between these figures: the "
        "convention did. Difference by difference:",
        "",
        f"1. **Years.** The NAO used 2010-11 to 2016-17. The warehouse's deprivation "
        f"(LAIT) starts in 2016 and conceptions end in 2022, so the main window is "
        f"{_span(main)}. New plans rose nationally through the NAO's years (the Public "
        "Accounts Committee cites a 26% rise in plans from 2010-11 to 2017-18), so "
        "common year effects had much to explain; here they take "
        f"{_pct(t.nao_order)}. On new plans alone over {_span(early)}, the years "
        "nearest the NAO's that the warehouse holds, year effects take "
        f"{_pct(early.share('year effects').nao_order)} and authority effects "
        f"{_pct(early.share('authority effects').nao_order)}.",
        "2. **Outcome.** Here: child protection plans started in the year per 10,000 "
        "children aged 0–17 (children in need census). The NAO's new plans per child "
        "is the same idea on another scale, and shares of variance do not depend on "
        "scale. Whether the NAO counted plans or children starting a plan was not "
        "confirmed.",
        "3. **Deprivation.** Here: the percentage of primary pupils eligible for free "
        "school meals (January census), the only deprivation measure the warehouse "
        "holds for every year. It is a proxy: it covers state-school pupils only and "
        "moves with benefit rules (Universal Credit transitional protection from April "
        "2018 kept pupils eligible, so rates rose nationally; year effects take the "
        "national part). The closest measure to the income-deprivation indices "
        "(IDACI) is children under 16 in relative low income families (DWP/HMRC, LAIT "
        "`ChildPov`), held only for 2022–2025, so it enters as the time-fixed variant "
        f"(each authority's mean): first in the order it takes {_pct(fd.nao_order)} "
        f"(Shapley {_pct(fd.shapley)}). Which measure the NAO "
        "used was not confirmed; an area index fixed in time would behave like this "
        "variant.",
        f"4. **Other covariates.** Under-18 conceptions are a second need measure here "
        f"and take {_pct(c.nao_order)} entered after deprivation — variation that "
        "would otherwise fall to the authority effects. Whether the NAO used any "
        "covariate besides deprivation was not confirmed.",
        "5. **What the authority effects absorb.** Everything constant about an "
        "authority over the window: thresholds and practice, recording, need the "
        "covariates miss and, with deprivation fixed in time, whatever of deprivation "
        "is not entered before them. Last in the NAO's order they get only what need "
        f"and common years leave ({_pct(a.nao_order)}); the range "
        f"{_pct(a.low)}–{_pct(a.high)} is the whole of the convention's effect.",
        f"6. **Residual.** {_pct(main.unexplained)} here; the NAO's three shares leave "
        "about 31% (100 − 15 − 10 − 44, implied by them).",
        "7. **Spend.** Left out, as the NAO is reported to have done. As a sensitivity "
        f"(`{spend.name}`, {_span(spend)}) the log of safeguarding spend per child takes "
        f"{_pct(spend.share('spend (sensitivity)').nao_order)} in the NAO order. "
        + nao_mod.SPEND_CAVEAT,
        "",
        "### Sources checked, and what could not be confirmed",
        "",
        "The NAO report itself and any methods annex could not be read for this page "
        "(no network beyond package registries; searched a store of public pages). "
        "Found: the NAO's press release for the report (nao.org.uk, 23 January 2019: "
        "context, not the model); a University of Huddersfield blog by Paul Bywaters "
        "(January 2019) summarising the report as attributing almost half of the "
        "variation in child protection plan rates between authorities to the "
        "authorities and 15% to deprivation, and criticising that the methods were "
        "not set out in detail; an article in The MJ reporting that around 44% of "
        "variation was put down to local characteristics such as custom and "
        "practice, local market conditions and historical patterns of demand; and a "
        "written answer of 25 April 2019 (question 245996) citing the report as "
        "finding no support for children's-centre closures raising the use of plans; "
        "and the Public Accounts Committee's report on the NAO's work (Transforming "
        "children's services, 2019), citing a 26% rise in children placed on plans "
        "from 2010-11 to 2017-18. "
        "**Not confirmed**: the outcome's exact definition, the deprivation measure, "
        "other covariates, the estimator, the order in which the shares were "
        "computed, the 10% for common year effects, the years 2010-11 to 2016-17 and "
        "that spending was deliberately left out — these are taken from issue 9, "
        "which asked for this comparison.",
        "",
    ]  # fmt: skip
    return parts


def _demand_page(
    results: list[demand_mod.DemandResults],
    sensitivity: list[demand_mod.DemandResults],
    spend: list[demand_mod.DemandResults],
    nao: nao_mod.NaoResults,
    figdir: Path,
) -> str:
    plt = _fig(figdir / "demand_event_study.png")
    fig, axes = plt.subplots(1, len(results), figsize=(9, 2.6))  # type: ignore[attr-defined]
    for ax, res in zip(axes, results, strict=True):
        e = res.event
        if e is None:
            continue
        for shift, label, coefs in (
            (-0.1, "TWFE", e.coefficients),
            (0.1, "IW (Sun–Abraham)", e.iw_coefficients),
        ):
            pts = sorted(
                [(k, c.estimate, c.lower, c.upper) for k, c in coefs] + [(-1, 0.0, 0.0, 0.0)]
            )
            ax.errorbar(
                [k + shift for k, *_ in pts],
                [v for _, v, _, _ in pts],
                yerr=[[v - lo for _, v, lo, _ in pts], [hi - v for _, v, _, hi in pts]],
                fmt="o-",
                ms=3,
                label=label,
            )
        ax.axhline(0, color="k", lw=0.6)
        ax.axvline(-0.5, color="grey", lw=0.6, ls=":")
        ax.set_title(e.outcome, fontsize=7)
        ax.set_xlabel("years since cut")
    axes[0].legend(fontsize=6)
    _save(plt, fig, figdir / "demand_event_study.png")
    parts = [
        "# Drivers of demand: methods and results",
        "",
        "Generated by `cscwatch analyse all --out docs/methods`; do not edit by hand.",
        "",
        _docstring(demand_mod),
        "",
        "## Variance decomposition",
        "",
        "Shapley share of each block, with the smallest and largest share over the "
        "3! orders of entry in brackets.",
        "",
    ]
    parts.append(_shares_table(results))
    parts += [
        "",
        "The covariates vary mostly between authorities, so how the variation they "
        "share with the authority effects is split is a convention of the order of "
        "entry — the brackets show how much of each share it is. The fixed-effects "
        "coefficients below use only within-authority change. Under-18 conceptions end "
        "in 2022 and the LAIT covariates start in 2016, which limits the main sample "
        f"to {_span(results[0])} (looked-after rates run from 2016: LAIT before DfE's "
        "2021 file, identical where both exist). Without conceptions, on every "
        "year with the other covariates:",
        "",
        _shares_table(sensitivity),
        "",
        "Coefficients without conceptions:",
        "",
        _coef_table(sensitivity),
        "",
        "### Sensitivity: with section 251 spend",
        "",
        "**Not a model of drivers.** " + nao_mod.SPEND_CAVEAT + " Adding the log of "
        "spend per child on safeguarding, family support and children's centres "
        f"(sample {_span(spend[0])}, from when the spend measures start):",
        "",
        _shares_table(spend),
        "",
        _coef_table(spend),
        "",
    ]
    parts += _nao_section(nao)
    for r in results:
        parts += [
            f"## {r.outcome}",
            "",
            f"{r.n_obs} authority-years, {r.n_authorities} authorities; within R² "
            f"{r.r2_within:.3f}.",
            "",
        ]
        parts.append(
            _table(
                ["covariate", "estimate", "95% CI (clustered)", "p"],
                [
                    [c.name, _f(c.estimate), f"{_f(c.lower)} to {_f(c.upper)}", _f(c.p_value)]
                    for c in r.coefficients
                ],
            )
        )
        if r.event is not None:
            e = r.event
            parts += [
                "",
                f"Event study ({e.n_treated} authorities with a cut, {e.n_control} "
                f"never cut, {e.n_obs} authority-years): pre-trend Wald "
                f"χ²({e.pretrend_df}) = {_f(e.pretrend_wald, 2)}, p = "
                f"{_f(e.pretrend_p)}; pooled DiD {_ci(e.did.estimate, e.did.lower, e.did.upper, 2)}"
                f" (p = {_f(e.did.p_value)}). Interaction-weighted leads: Wald p = "
                f"{_f(e.iw_pretrend_p)}.",
                "",
            ]
            iw = dict(e.iw_coefficients)
            parts.append(
                _table(
                    ["event time", "TWFE (95% CI)", "IW, Sun–Abraham (95% CI)"],
                    [
                        [
                            f"{k:+d}" + (" (binned)" if abs(k) == 4 else ""),
                            _ci(c.estimate, c.lower, c.upper, 2),
                            _ci(iw[k].estimate, iw[k].lower, iw[k].upper, 2) if k in iw else "–",
                        ]
                        for k, c in e.coefficients
                    ],
                )
            )
        parts.append("")
    parts += ["![Event studies](figures/demand_event_study.png)", ""]
    return "\n".join(parts)


# --------------------------------------------------------------------------- forecast


def _forecast_page(results: list[forecast_mod.ForecastBacktestResults], figdir: Path) -> str:
    plt = _fig(figdir / "forecast_mase.png")
    fig, ax = plt.subplots(figsize=(6, 2.8))  # type: ignore[attr-defined]
    methods = forecast_mod.METHODS
    width = 0.8 / len(methods)
    for j, m in enumerate(methods):
        ax.bar(
            [i + j * width for i in range(len(results))],
            [r.pooled(m).mase or 0 for r in results],
            width,
            label=m,
        )
    ax.set_xticks(
        [i + 0.4 - width / 2 for i in range(len(results))],
        [r.indicator for r in results],
        fontsize=6,
    )
    ax.set_ylabel("MASE (pooled over horizons)")
    ax.legend(fontsize=6)
    _save(plt, fig, figdir / "forecast_mase.png")
    parts = [
        "# Forecasts of demand: methods and backtest",
        "",
        "Generated by `cscwatch analyse all --out docs/methods`; do not edit by hand.",
        "",
        _docstring(forecast_mod),
        "",
        "Why a pooled AR: the series are short (13 years at most, 10 for looked-after "
        "children), too short to fit a trend model per authority reliably; rates "
        "revert towards an authority's own recent level; one pooled persistence "
        "parameter borrows strength across ~150 authorities.",
        "",
        "## Measured coverage of the intervals shipped",
        "",
        "For the method each indicator uses: out-of-time coverage of the calibrated "
        "intervals by horizon (share of later actuals inside), over the forecasts "
        f"whose origin had at least {forecast_mod.MIN_CALIBRATION} known errors. "
        "`forecast` ships a horizon only where this was measured.",
        "",
    ]
    rows = []
    for r in results:
        for h in range(1, r.horizon + 1):
            s = r.score(r.best, h)
            rows.append(
                [
                    r.indicator,
                    r.best,
                    str(h),
                    str(s.n_coverage),
                    _f(s.coverage80, 2),
                    _f(s.coverage95, 2),
                    "yes" if h in r.horizons(r.best) else "**no** (interval never tested)",
                ]
            )
    parts.append(
        _table(
            [
                "indicator",
                "method",
                "years ahead",
                "forecasts checked",
                "80% interval",
                "95% interval",
                "shipped",
            ],
            rows,
        )
    )
    parts.append("")
    for r in results:
        parts += [
            f"## {r.indicator}",
            "",
            f"Data {r.origins[0] - forecast_mod.FIRST_ORIGIN_OFFSET + 1}–{r.last_year}; "
            f"origins {r.origins[0]}–{r.origins[-1]}, horizons 1–{r.horizon}. Kept "
            f"(gain over last value excludes zero): {', '.join(r.kept) or 'none'}. "
            f"`forecast` uses **{r.best}**: {r.reason}.",
            "",
        ]
        parts.append(
            _table(
                [
                    "method",
                    "horizon",
                    "n",
                    "MASE",
                    "MASE − last value (95% CI)",
                    "MAPE %",
                    "calibrated 80% / 95% (n checked)",
                    "model intervals 80% / 95% (not used)",
                ],
                [
                    [
                        s.method,
                        "all" if s.horizon == 0 else str(s.horizon),
                        str(s.n),
                        _f(s.mase),
                        _ci(s.mase_minus_last, s.diff_lower, s.diff_upper)
                        if s.mase_minus_last is not None
                        else "",
                        _f(s.mape, 1),
                        f"{_f(s.coverage80, 2)} / {_f(s.coverage95, 2)} ({s.n_coverage})",
                        f"{_f(s.model_coverage80, 2)} / {_f(s.model_coverage95, 2)}",
                    ]
                    for s in r.scores
                ],
            )
        )
        parts += [
            "",
            f"Calibration of `{r.best}` for forecasts now (errors of target years "
            f"{r.last_year - forecast_mod.CALIBRATION_YEARS + 1}–{r.last_year}), as "
            "multiples of the point forecast:",
            "",
        ]
        parts.append(
            _table(
                ["years ahead", "errors", "80% interval", "95% interval"],
                [
                    [
                        str(c.horizon),
                        str(c.n),
                        _mult(c.q10, c.q90),
                        _mult(c.q025, c.q975),
                    ]
                    for c in r.calibration
                    if c.method == r.best
                ],
            )
        )
        parts.append("")
    parts += ["![MASE by method](figures/forecast_mase.png)", ""]
    return "\n".join(parts)


def _mult(lo: float | None, hi: float | None) -> str:
    if lo is None or hi is None:
        return "– (too few errors)"
    return f"× {math.exp(lo):.3f} to × {math.exp(hi):.3f}"
