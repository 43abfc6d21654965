"""Write the methods pages: ``cscwatch analyse all --out docs/methods``.

Runs every analysis with fixed seeds and writes, under ``out``:

* ``risk.md``, ``quality.md``, ``demand.md``, ``forecast.md`` — formulas and the
  generated numbers (the formulas are the module docstrings of the models);
* ``figures/*.png`` — small matplotlib figures;
* ``results/*.json`` — the same results as JSON (``Results.to_dict()``).

Everything is deterministic given the warehouse and the seeds.
"""

from __future__ import annotations

import calendar
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import duckdb

from cscwatch.core.errors import InputError
from cscwatch.core.progress import ProgressCallback, report, tick
from cscwatch.models import demand as demand_mod
from cscwatch.models import demand_nao as nao_mod
from cscwatch.models import features as features_mod
from cscwatch.models import forecast as forecast_mod
from cscwatch.models import quality as quality_mod
from cscwatch.models import risk as risk_mod
from cscwatch.models._demand_pages import _demand_page, _forecast_page
from cscwatch.models._pages import _ci, _docstring, _f, _fig, _save, _table
from cscwatch.models._placements_data import ReturnYear

__all__ = ["PAGES", "PlacementHistories", "write_methods", "write_risk_methods"]

#: Returns per LA number, LA number to name, and how they were made (see
#: :func:`cscwatch.models._placements_page.placements_page`).
PlacementHistories = tuple[Mapping[str, Sequence["ReturnYear"]], Mapping[str, str], str]

SEED = 20260401
#: The methods pages, in the order they are written.
PAGES = ("risk", "quality", "demand", "forecast", "care", "placements")
QUALITY_YEAR = 2025


# --------------------------------------------------------------------------- risk


_RISK_WORDS = {
    "inadequate": "Inadequate",
    "ri_or_worse": "Requires improvement or worse",
    "declined": "declined since the previous inspection",
}


def _risk_figure(results: list[risk_mod.BacktestResults], figdir: Path) -> None:
    plt = _fig(figdir / "risk_reliability.png")
    overall = [r for r in results if r.judgement == "overall"]
    fig, axes = plt.subplots(1, len(overall), figsize=(7.5, 2.8))  # type: ignore[attr-defined]
    for ax, res in zip(axes, overall, strict=True):
        for m in ("selected", "previous_judgement"):
            rel = [r for r in res.reliability if r.model == m]
            ax.plot([r.mean_predicted for r in rel], [r.observed for r in rel], "o-", label=m)
        ax.plot([0, 0.8], [0, 0.8], "k:", lw=0.8)
        ax.set(xlabel="mean predicted", ylabel="observed", title=res.outcome)
    axes[0].legend(fontsize=6)
    _save(plt, fig, figdir / "risk_reliability.png")


def _risk_verdict(results: list[risk_mod.BacktestResults]) -> list[str]:
    rows = []
    for r in results:
        sel, prev = r.metric("selected"), r.metric("previous_judgement")
        target = "–" if r.target_auc is None else f"≥ {r.target_auc:.2f}"
        met = "–" if r.target_met is None else ("met" if r.target_met else "**not met**")
        rows.append(
            [
                r.judgement,
                _RISK_WORDS[r.outcome],
                f"{sel.n} ({sel.n_positive})",
                _ci(sel.auc, sel.auc_lo, sel.auc_hi),
                _ci(prev.auc, prev.auc_lo, prev.auc_hi),
                _ci(sel.auc_minus_previous, sel.dauc_lo, sel.dauc_hi),
                f"`{r.shipped_model}`",
                target,
                met,
            ]
        )
    return [
        _table(
            [
                "judgement",
                "outcome",
                "test inspections (with outcome)",
                "nested AUC (95% CI)",
                "previous judgement AUC",
                "nested − previous",
                "shipped model",
                "target AUC",
                "target met",
            ],
            rows,
        ),
        "",
        "A target is met when the nested AUC reaches it **and** the 95% interval of the "
        "paired difference from the previous-judgement baseline lies above zero (the "
        'stricter reading of "the lower 95% bound above the previous-judgement '
        'baseline"). These figures were not used to tune anything: the candidate models, '
        "the transparent score's selection rule, the fold rule and the recalibration were "
        "fixed before the backtest was run, and the same code runs for every outcome.",
        "",
        _risk_plain(results),
    ]


def _risk_plain(results: list[risk_mod.BacktestResults]) -> str:
    """The verdict in words, from the figures."""
    met = [r for r in results if r.target_met]
    missed = [r for r in results if r.target_met is False]
    words = [
        "**In plain words.** "
        + (
            "Targets met: "
            + ", ".join(f"{_RISK_WORDS[r.outcome]} ({r.judgement})" for r in met)
            + ". "
            if met
            else "No outcome meets its target. "
        )
    ]
    for r in missed:
        sel = r.metric("selected")
        words.append(
            f"{_RISK_WORDS[r.outcome]} on {r.judgement}: nested AUC {_f(sel.auc)} against "
            f"a target of {_f(r.target_auc, 2)}; the interval of its gain over the previous "
            f"judgement ({_f(sel.dauc_lo)} to {_f(sel.dauc_hi)}) "
            + ("lies above zero. " if (sel.dauc_lo or 0) > 0 else "includes zero. ")
        )
    loose = [
        r
        for r in results
        if r.target_auc is not None
        and (r.metric("selected").auc or 0) >= r.target_auc
        and (r.metric("selected").auc_lo or 0) > (r.metric("previous_judgement").auc or 1)
    ]
    words.append(
        "Under the looser reading (the lower bound of the AUC itself above the previous "
        "judgement's AUC) "
        + (
            "these would be met: "
            + ", ".join(f"{_RISK_WORDS[r.outcome]} ({r.judgement})" for r in loose)
            + ". "
            if loose
            else "no further target is met. "
        )
    )
    fixed = [
        r
        for r in results
        if (r.metric("transparent").dauc_lo or 0) > 0 and (r.metric("selected").dauc_lo or 0) <= 0
    ]
    for r in fixed:
        t = r.metric("transparent")
        words.append(
            f"Had the transparent score been fixed in advance for {_RISK_WORDS[r.outcome]} on "
            f"{r.judgement}, its AUC would have been {_f(t.auc, 2)} with a gain over the "
            f"previous judgement of {_f(t.auc_minus_previous, 2)} ({_f(t.dauc_lo, 2)} to "
            f"{_f(t.dauc_hi, 2)}); but the nested procedure, choosing from earlier years "
            "only, picked "
            + ", ".join(
                f"{f.selected} in {f.origin_year}"
                for f in r.evaluated
                if f.selected != "transparent"
            )
            + ", and quoting the transparent row as the result would be choosing after "
            "seeing the test years. "
        )
    after = [r.metric("selected").cal_intercept for r in results]
    before = [r.metric("selected").cal_intercept_raw for r in results]
    a = [x for x in after if x is not None]
    b = [x for x in before if x is not None]
    if a and b:
        words.append(
            "Calibration intercepts of the nested procedure (0 = calibrated on average, "
            f"below 0 = over-prediction) run from {_f(min(a), 2)} to {_f(max(a), 2)} after "
            f"the base-rate shift and from {_f(min(b), 2)} to {_f(max(b), 2)} before it. "
        )
    words.append("Treat the ranking as a prompt for questions, not a prediction.")
    return "".join(words)


def _risk_section(res: risk_mod.BacktestResults) -> list[str]:
    ev = res.evaluated
    dropped = [f for f in res.folds if f.role == "dropped"]
    parts = [
        "",
        f"## Backtest: {_RISK_WORDS[res.outcome]} ({res.outcome}), judgement `{res.judgement}`",
        "",
        f"{len(ev)} evaluated origins ({ev[0].origin_year}–{ev[-1].origin_year}), "
        f"{res.metrics[0].n} test inspections of {res.n_clusters} authorities, of which "
        f"{res.metrics[0].n_positive} had the outcome; {res.n_boot} bootstrap replicates "
        f"(seed {res.seed}) resampling authorities. Shipped model: `{res.shipped_model}` "
        "(pooled out-of-time AUC over every kept fold: "
        + ", ".join(f"{n} {_f(a)}" for n, a in res.selection_auc)
        + ")."
        + (
            " Dropped folds: "
            + "; ".join(f"{f.origin_year} (no {', '.join(f.missing)})" for f in dropped)
            + "."
            if dropped
            else ""
        ),
        "",
        "`selected` is the nested procedure: each year's predictions come from the "
        "candidate that did best on earlier years only. The candidates' own rows are "
        "what each would have scored had it been fixed in advance.",
        "",
    ]
    parts.append(
        _table(
            [
                "model",
                "ROC AUC (95% CI)",
                "AUC − previous judgement",
                "average precision",
                "Brier",
                "calibration intercept",
                "calibration slope",
                "Brier, intercept before recalibration",
                "precision@10",
            ],
            [
                [
                    m.model,
                    _ci(m.auc, m.auc_lo, m.auc_hi),
                    _ci(m.auc_minus_previous, m.dauc_lo, m.dauc_hi),
                    _ci(m.average_precision, m.ap_lo, m.ap_hi),
                    _ci(m.brier, m.brier_lo, m.brier_hi),
                    _ci(m.cal_intercept, m.cal_intercept_lo, m.cal_intercept_hi, 2),
                    _ci(m.cal_slope, m.cal_slope_lo, m.cal_slope_hi, 2),
                    f"{_f(m.brier_raw)}, {_f(m.cal_intercept_raw, 2)}",
                    _ci(m.precision_at_10, m.p10_lo, m.p10_hi),
                ]
                for m in res.metrics
            ],
        )
    )
    parts += ["", "Folds (transparent-score terms as chosen on that fold's training cases):", ""]
    parts.append(
        _table(
            [
                "origin",
                "role",
                "train (outcome)",
                "test (outcome)",
                "rate: train / recent",
                "chosen",
                "AUC on earlier folds",
                "transparent terms",
            ],
            [
                [
                    str(f.origin_year),
                    f.role + (f" (no {', '.join(f.missing)})" if f.missing else ""),
                    f"{f.n_train} ({f.n_train_positive})",
                    f"{f.n_test} ({f.n_test_positive})",
                    f"{f.rate_train:.2f} / {f.rate_recent:.2f}",
                    f.selected or "–",
                    ", ".join(f"{n} {_f(a, 2)}" for n, a in f.selection_auc) or "–",
                    ", ".join(f"{'+' if s > 0 else '−'}{n}" for n, s in f.terms) or "–",
                ]
                for f in res.folds
            ],
        )
    )
    parts += ["", "Reliability of the nested procedure (recalibrated probabilities):", ""]
    parts.append(
        _table(
            ["bin", "n", "mean predicted", "observed"],
            [
                [
                    f"{r.bin_low:.1f}–{r.bin_high:.1f}",
                    str(r.n),
                    _f(r.mean_predicted),
                    _f(r.observed),
                ]
                for r in res.reliability
                if r.model == "selected"
            ],
        )
    )
    return parts


def _risk_page(
    results: list[risk_mod.BacktestResults],
    univariate: tuple[tuple[str, int, float], ...],
    figdir: Path,
) -> str:
    _risk_figure(results, figdir)
    best = risk_mod.best_validated(results)
    default = next(
        r for r in results if r.judgement == "overall" and r.outcome == risk_mod.DEFAULT_OUTCOME
    )
    d_sel = default.metric("selected")
    parts = [
        "# Early warning of a poor Ofsted inspection: methods and nested backtest",
        "",
        "Generated by `cscwatch analyse all --out docs/methods` (or `cscwatch analyse "
        "risk`); do not edit by hand.",
        "",
        "## Verdict",
        "",
        *_risk_verdict(results),
        "",
        "## Default outcome",
        "",
        f"`cscwatch risk` ranks by `{risk_mod.DEFAULT_OUTCOME}` unless told otherwise: "
        "the outcome whose nested procedure has the highest lower 95% bound of its "
        f"out-of-time ROC AUC on overall effectiveness ({_f(d_sel.auc_lo)}). "
        + (
            "The backtest above agrees."
            if best == risk_mod.DEFAULT_OUTCOME
            else f"**The backtest above now favours `{best}`: the default needs review.**"
        )
        + " Requires improvement or worse is also what improvement teams act on.",
        "",
        "## Model",
        "",
        _docstring(risk_mod),
        "",
        "## Features",
        "",
        _docstring(features_mod),
        "",
        "### Declared publication lags",
        "",
        _table(
            ["source", "year Y public on", "note"],
            [
                [lag.source, f"{lag.day} {_month(lag.month)} Y+{lag.years_after}", lag.note]
                for lag in features_mod.PUBLICATION_LAGS
            ],
        ),
    ]
    for res in results:
        parts += _risk_section(res)
    parts += [
        "",
        "![Reliability](figures/risk_reliability.png)",
        "",
        "## Single features, in-sample (descriptive, not a backtest)",
        "",
        f"ROC AUC of each feature alone against `{risk_mod.DEFAULT_OUTCOME}` on overall "
        "effectiveness, over every inspection that has the feature (0.5 = no separation; "
        "below 0.5 = higher values go with the outcome less often). Shown to explain the "
        "backtest; no model reads these figures (the transparent score chooses its "
        "indicators on each training fold).",
        "",
        _table(["feature", "n", "AUC"], [[f, str(n), _f(a)] for f, n, a in univariate]),
        "",
        "## Ranking now",
        "",
        "`cscwatch risk --as-at DATE [--outcome O] [--judgement J]` applies the same "
        "procedure with every inspection published before DATE: it runs the folds up to "
        "DATE, ships the candidate with the best pooled out-of-time AUC, refits it on "
        "every inspection published before DATE, shifts its probabilities to the rate "
        "among inspections started in the two years up to the latest one used, and "
        "ranks the current authorities (those under 5,000 children listed apart). "
        "`--format json` carries a `meta` object: model and the AUCs it was chosen on, "
        "outcome, judgement, the "
        "written backtest (nested AUC with interval, baseline, calibration), base rates, "
        "the latest Ofsted report used and each indicator's latest year and publication "
        "date; `/api/risk` and the `/risk` page show the same. Drivers are the three "
        "largest terms of the authority's score in the shipped model. Given the verdict "
        "above, the ranking is a prompt for questions, not a prediction to act on.",
        "",
    ]
    return "\n".join(parts)


def _half(hi: float | None, lo: float | None) -> float:
    return 0.0 if hi is None or lo is None else hi - lo


def _month(m: int) -> str:
    return calendar.month_abbr[m]


# --------------------------------------------------------------------------- quality


def _quality_page(res: quality_mod.QualityResults, figdir: Path) -> str:
    plt = _fig(figdir / "quality_by_grade.png")
    show = [
        m
        for m in res.measures
        if m.measure in ("agency_rate_pct", "vacancy_rate_pct", "turnover_rate_pct", "caseload")
    ]
    fig, axes = plt.subplots(1, len(show), figsize=(8, 2.6))  # type: ignore[attr-defined]
    for ax, m in zip(axes, show, strict=True):
        g = [x for x in m.groups if x.mean is not None]
        ax.errorbar(
            range(len(g)),
            [x.mean for x in g],
            yerr=[[_half(x.mean, x.lower) for x in g], [_half(x.upper, x.mean) for x in g]],
            fmt="o",
        )
        ax.set_xticks(range(len(g)), [x.grade[:4] for x in g])
        ax.set_title(m.measure, fontsize=7)
    _save(plt, fig, figdir / "quality_by_grade.png")
    rows = []
    for m in res.measures:
        gm = {g.grade: g for g in m.groups}
        cells = [
            _ci(gm[k].mean, gm[k].lower, gm[k].upper, 1) if k in gm else "–"
            for k in ("outstanding", "good", "requires_improvement", "inadequate")
        ]
        rows.append(
            [
                m.measure,
                str(m.n),
                _ci(m.spearman, m.spearman_lower, m.spearman_upper, 2),
                *cells,
                _ci(m.inadequate_minus_good, m.diff_lower, m.diff_upper, 1),
                _f(m.kruskal_p, 4),
            ]
        )
    return "\n".join(
        [
            "# Quality, cost and workforce: methods and results",
            "",
            "Generated by `cscwatch analyse all --out docs/methods`; do not edit by hand.",
            "",
            _docstring(quality_mod),
            "",
            "Spend measures (see the indicator pages): `spend_safeguarding_per_child` and "
            "`spend_safeguarding_per_cin` are the section 251 gross outturn on safeguarding "
            "children and young people's services divided by the population aged 0–17 and "
            "by children in need at 31 March; `spend_sw_commissioning_weekly_per_cin` is LAIT's "
            "approximate weekly cost of social work and commissioning per child in need at "
            "31 March, as published; "
            "`spend_per_looked_after_child` is the gross outturn on children looked after "
            "divided by children looked after on 31 March. All £ figures are cash terms.",
            "",
            f"## Results: grade in force on {res.as_at}, year {res.year} measures",
            "",
            f"{res.n_boot} bootstrap replicates, seed {res.seed}.",
            "",
            _table(
                [
                    "measure",
                    "n",
                    "Spearman ρ (95% CI)",
                    "mean outstanding",
                    "mean good",
                    "mean requires improvement",
                    "mean inadequate",
                    "inadequate − good",
                    "Kruskal–Wallis p",
                ],
                rows,
            ),
            "",
            "![Workforce by grade](figures/quality_by_grade.png)",
            "",
        ]
    )


# --------------------------------------------------------------------------- all


def write_methods(
    con: duckdb.DuckDBPyConnection,
    out: Path,
    *,
    snapshot_dir: Path | None = None,
    n_boot: int = 1000,
    seed: int = SEED,
    pages: tuple[str, ...] | None = None,
    progress: ProgressCallback | None = None,
    placement_histories: PlacementHistories | None = None,
) -> list[Path]:
    """Run every analysis (or only those of ``pages``, names from :data:`PAGES`) and
    write pages, figures and JSON under ``out``.

    ``placement_histories`` are the multi-year (synthetic) returns the placements page
    backtests on, with their authorities' names and a note on how they were made; they
    are built above this layer (``cscwatch analyse all`` does it).

    ``progress`` is told as each page is written (stage "methods pages") and as each
    risk backtest finishes (stage "risk backtests").

    Raises
    ------
    InputError
        When ``pages`` names an unknown page.
    """
    unknown = sorted(set(pages or ()) - set(PAGES))
    if unknown:
        raise InputError(f"unknown methods page {unknown[0]!r}; use {', '.join(PAGES)}")
    want = set(pages or PAGES)
    out = Path(out)
    figdir, resdir = out / "figures", out / "results"
    resdir.mkdir(parents=True, exist_ok=True)
    figdir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def put(name: str, text: str) -> None:
        path = out / name
        path.write_text(text, encoding="utf-8")
        written.append(path)

    def put_json(name: str, payload: object) -> None:
        path = resdir / name
        # risk.json carries every test prediction: written compactly
        indent = None if name == "risk.json" else 1
        text = json.dumps(payload, indent=indent, allow_nan=False)
        path.write_text(text + "\n", encoding="utf-8")
        written.append(path)

    pages_done = 0

    def page_done() -> None:
        nonlocal pages_done
        pages_done += 1
        report(progress, "methods pages", pages_done, len(want))

    report(progress, "methods pages", 0, len(want))
    if "risk" in want:
        risk_files = write_risk_methods(
            con, out, snapshot_dir=snapshot_dir, n_boot=n_boot, seed=seed, progress=progress
        )
        written += [p for p in risk_files if p.suffix != ".png"]
        page_done()
    if "quality" in want:
        quality = quality_mod.QualityModel(con, QUALITY_YEAR, n_boot=n_boot, seed=seed).fit()
        put_json("quality.json", quality.to_dict())
        put("quality.md", _quality_page(quality, figdir))
        page_done()
    if "demand" in want:
        _write_demand(con, figdir, put, put_json)
        page_done()
    if "forecast" in want:
        fc = [forecast_mod.ForecastBacktest(con, i).fit() for i in forecast_mod.FORECASTABLE]
        put_json("forecast.json", {r.indicator: r.to_dict() for r in fc})
        put("forecast.md", _forecast_page(fc, figdir))
        page_done()
    if "care" in want:
        from cscwatch.models._care_page import care_page

        page, results = care_page(con)
        put_json("care.json", results)
        put("care.md", page)
        page_done()
    if "placements" in want:
        if placement_histories is None:
            raise InputError("the placements page needs multi-year returns to backtest on")
        from cscwatch.models._placements_page import placements_page

        page, results = placements_page(con, *placement_histories)
        put_json("placements.json", results)
        put("placements.md", page)
        page_done()
    written += sorted(figdir.glob("*.png"))
    return written


def _write_demand(
    con: duckdb.DuckDBPyConnection,
    figdir: Path,
    put: Callable[[str, str], None],
    put_json: Callable[[str, object], None],
) -> None:
    demand = [demand_mod.DemandModel(con, o).fit() for o in demand_mod.OUTCOMES]
    no_conc = tuple(c for c in demand_mod.COVARIATES if c != "under18_conceptions_per_1000")
    sens = [demand_mod.DemandModel(con, o, covariates=no_conc).fit() for o in demand_mod.OUTCOMES]
    with_spend = demand_mod.COVARIATES + demand_mod.SPEND_COVARIATES
    spend = [
        demand_mod.DemandModel(con, o, covariates=with_spend).fit() for o in demand_mod.OUTCOMES
    ]
    nao = nao_mod.NaoDemandModel(con).fit()
    put_json(
        "demand.json",
        {
            "main": {r.outcome: r.to_dict() for r in demand},
            "without_conceptions": {r.outcome: r.to_dict() for r in sens},
            "spend_sensitivity": {r.outcome: r.to_dict() for r in spend},
            "nao": nao.to_dict(),
        },
    )
    put("demand.md", _demand_page(demand, sens, spend, nao, figdir))


def write_risk_methods(
    con: duckdb.DuckDBPyConnection,
    out: Path,
    *,
    snapshot_dir: Path | None = None,
    n_boot: int = 1000,
    seed: int = SEED,
    progress: ProgressCallback | None = None,
) -> list[Path]:
    """Run the early-warning backtests (every judgement and outcome) and write
    ``risk.md``, ``results/risk.json`` and ``figures/risk_reliability.png`` under ``out``.

    ``progress`` is told as each backtest finishes (stage "risk backtests")."""
    out = Path(out)
    (out / "results").mkdir(parents=True, exist_ok=True)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    data = risk_mod.load_risk_data(con, snapshot_dir)
    cases = [(j, o) for j in risk_mod.JUDGEMENTS for o in risk_mod.OUTCOMES]
    results = [
        risk_mod.Backtest(data, outcome=o, judgement=j, seed=seed, n_boot=n_boot).fit()
        for j, o in tick(cases, progress, "risk backtests")
    ]
    payload: dict[str, dict[str, object]] = {}
    for r in results:
        payload.setdefault(r.judgement, {})[r.outcome] = r.to_dict()
    # risk.json carries every test prediction: written compactly
    res_path = out / "results" / "risk.json"
    res_path.write_text(json.dumps(payload, allow_nan=False) + "\n", encoding="utf-8")
    page = out / "risk.md"
    page.write_text(
        _risk_page(results, risk_mod.univariate_auc(data), out / "figures"), encoding="utf-8"
    )
    return [page, res_path, out / "figures" / "risk_reliability.png"]
