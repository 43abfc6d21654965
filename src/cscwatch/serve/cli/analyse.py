"""Model commands: ``risk``, ``forecast`` and ``analyse quality|demand|all``.

Each parses its options, calls :mod:`cscwatch.models` and formats the answer.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from cscwatch.core.config import Settings
from cscwatch.core.errors import InputError
from cscwatch.core.types import parse_year
from cscwatch.serve.cli import app
from cscwatch.serve.cli._output import check_format, emit_json, emit_table
from cscwatch.serve.cli._progress import QuietOpt, progress_bar

__all__ = ["analyse_all", "analyse_app", "analyse_risk", "demand", "forecast", "quality", "risk"]

WarehouseOpt = Annotated[
    Path | None,
    typer.Option(
        "--warehouse", help="DuckDB warehouse file (default: CSCWATCH_WAREHOUSE or user data dir)."
    ),
]
FormatOpt = Annotated[str, typer.Option("--format", "-f", help="table or json.")]

analyse_app = typer.Typer(
    name="analyse", help="Statistical analyses: quality, demand, risk, all.", no_args_is_help=True
)
app.add_typer(analyse_app, name="analyse")


def _settings(warehouse: Path | None) -> Settings:
    return Settings(warehouse=warehouse) if warehouse else Settings()


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InputError(f"--as-at {text!r} is not a date (YYYY-MM-DD)") from exc


def _f(x: float | None, digits: int = 2) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


@app.command("risk")
def risk(
    as_at: Annotated[
        str | None,
        typer.Option(
            "--as-at",
            help="Date to score at (YYYY-MM-DD; default today, or the last date the "
            "warehouse's figures support if they are too old for today).",
        ),
    ] = None,
    outcome: Annotated[
        str | None,
        typer.Option(
            "--outcome",
            help="ri_or_worse (default: the best-validated), inadequate or declined.",
        ),
    ] = None,
    judgement: Annotated[
        str | None, typer.Option("--judgement", help="overall (default) or help_protection.")
    ] = None,
    target: Annotated[
        str | None, typer.Option("--target", hidden=True, help="Former name of --judgement.")
    ] = None,
    warehouse: WarehouseOpt = None,
    fmt: FormatOpt = "table",
) -> None:
    """Rank every current authority by the chance its next inspection has the outcome."""
    from cscwatch.models.risk import parse_judgement, parse_outcome
    from cscwatch.models.risk_ranking import cached_ranking
    from cscwatch.models.risk_summary import ranking_meta
    from cscwatch.serve.api import _risk
    from cscwatch.store.warehouse import open_warehouse

    check_format(fmt, ("table", "json"))
    when = _date(as_at) if as_at is not None else None
    out_, jdg = parse_outcome(outcome), parse_judgement(judgement or target)
    settings = _settings(warehouse)
    with open_warehouse(settings) as con:
        if when is None:  # today, or the last date the figures support
            when = _risk.default_as_at(con)
            behind = _risk.behind_today(when)
            if behind and fmt == "table":
                typer.echo(f"note: not today's: the ranking is {behind}", err=True)
        ranking = cached_ranking(
            con, settings.snapshot_dir, when, outcome=out_, judgement=jdg,
            cache_dir=settings.cache_dir, warehouse=Path(settings.warehouse),
        )  # fmt: skip
    meta = ranking_meta(ranking)
    if fmt == "json":
        emit_json(
            {
                "meta": {
                    **meta.to_dict(),
                    "relative_to": _risk.relative_to(meta),
                    "caveat": _risk.caveat(meta.backtest),
                },
                "rows": ranking.to_dict()["rows"],
            }
        )
        return
    rows = [
        [
            str(r.rank),
            r.name,
            _f(r.probability),
            _f(r.score),
            "; ".join(f"{n} ({v:+.2f})" for n, v in r.drivers),
            (r.judgement_in_force or "none").replace("_", " "),
            _f(r.judgement_age_years, 1),
        ]
        for r in ranking.rows
    ]
    emit_table(
        f"Risk that the next inspection judges {_risk.JUDGEMENT_WORDS[jdg]} "
        f"{_risk.OUTCOME_WORDS[out_]}, as at {when}",
        ["#", "authority", "p", "score", "largest terms", "judgement in force", "age (y)"],
        rows,
        caption=f"Model: {ranking.model} ({_risk.MODEL_WORDS[ranking.model]}). "
        f"{_risk.relative_to(meta)} {_risk.caveat(meta.backtest)} "
        "See docs/methods/risk.md.",
        right=[0, 2, 3, 6],
    )


@app.command("forecast")
def forecast(
    indicator: Annotated[
        str,
        typer.Argument(
            help="cin_at31_per_10k, cpp_at31_per_10k, lac_at31_per_10k, cpp_starts_per_10k, "
            "lac_at31 (children looked after) or spend_lac_gross (looked-after spend, cash)."
        ),
    ],
    authority: Annotated[
        str | None, typer.Option("--authority", "-a", help="Name, LA number or GSS code.")
    ] = None,
    horizon: Annotated[
        int | None,
        typer.Option(
            "--horizon",
            help="Years ahead (1–5; default: as far as the method was backtested, at most 3). "
            "A horizon that was never backtested is refused.",
        ),
    ] = None,
    warehouse: WarehouseOpt = None,
    fmt: FormatOpt = "table",
) -> None:
    """Forecast a demand rate with 80% and 95% intervals calibrated on backtest errors."""
    from cscwatch.indicators.authorities import resolve_authority
    from cscwatch.models.forecast import ForecastModel
    from cscwatch.store.warehouse import open_warehouse

    check_format(fmt, ("table", "json"))
    settings = _settings(warehouse)
    with open_warehouse(settings) as con:
        la = resolve_authority(con, authority).la_code if authority else None
        res = ForecastModel(
            con,
            indicator,
            horizon=horizon,
            authority=la,
            cache_dir=settings.cache_dir,
            warehouse=settings.warehouse,
        ).fit()
    if fmt == "json":
        emit_json(res.to_dict())
        return
    from cscwatch.core.catalogue import get_indicator

    ind = get_indicator(indicator)
    cover = "; ".join(
        f"{h} year{'s' if h > 1 else ''} ahead {_pct0(c80)} / {_pct0(c95)}"
        for h, c80, c95 in res.coverage
    )
    emit_table(
        f"{indicator}: forecasts from data for {res.data_year}, by {res.method}",
        ["authority", "year", "forecast", "80% interval", "95% interval"],
        [
            [
                r.name,
                ind.year_label(r.year),
                f"{r.point:.1f}",
                f"{r.lower80:.1f}–{r.upper80:.1f}",
                f"{r.lower95:.1f}–{r.upper95:.1f}",
            ]
            for r in res.rows
        ],
        caption=f"Method {res.method}: {res.method_reason}. Intervals calibrated on "
        f"backtest errors; out-of-time coverage of the 80% / 95% intervals: {cover}."
        + (
            f" Not forecast ({len(res.not_forecast)}): no unbroken series to {res.data_year}."
            if res.not_forecast
            else ""
        )
        + " See docs/methods/forecast.md.",
        right=[1, 2],
    )


def _pct0(x: float | None) -> str:
    return "not measured" if x is None else f"{x:.0%}"


@analyse_app.command("quality")
def quality(
    year: Annotated[
        str,
        typer.Option(
            "--year",
            "-y",
            help="Reporting year ending 31 March (the workforce census of the 30 September "
            "before it is used).",
        ),
    ] = "2025",
    warehouse: WarehouseOpt = None,
    fmt: FormatOpt = "table",
) -> None:
    """Spend and workforce against the Ofsted grade in force."""
    from cscwatch.models.quality import QualityModel
    from cscwatch.store.warehouse import open_warehouse

    check_format(fmt, ("table", "json"))
    with open_warehouse(_settings(warehouse)) as con:
        res = QualityModel(con, parse_year(year).end).fit()
    if fmt == "json":
        emit_json(res.to_dict())
        return
    rows = []
    for m in res.measures:
        means = {g.grade: g for g in m.groups}
        good, inad = means.get("good"), means.get("inadequate")
        rows.append(
            [
                f"{m.measure} ({m.period})" if m.period else m.measure,
                str(m.n),
                f"{_f(m.spearman)} ({_f(m.spearman_lower)} to {_f(m.spearman_upper)})",
                _f(good.mean if good else None, 1),
                _f(inad.mean if inad else None, 1),
                f"{_f(m.inadequate_minus_good, 1)} "
                f"({_f(m.diff_lower, 1)} to {_f(m.diff_upper, 1)})",
                _f(m.kruskal_p, 4),
            ]
        )
    emit_table(
        f"Spend and workforce against the overall grade in force on {res.as_at}",
        [
            "measure",
            "n",
            "Spearman ρ with grade rank (95% CI)",
            "mean, good",
            "mean, inadequate",
            "inadequate − good (95% CI)",
            "Kruskal–Wallis p",
        ],
        rows,
        caption="Grade rank 1 outstanding … 4 inadequate: positive ρ = higher values go "
        "with worse grades. Associations, not effects.",
        right=[1, 3, 4, 6],
    )


@analyse_app.command("demand")
def demand(
    outcome: Annotated[
        str,
        typer.Option(
            "--outcome",
            help="cpp_starts_per_10k, cin_at31_per_10k, s47_per_10k, lac_at31_per_10k or "
            "lac_starts_per_10k.",
        ),
    ] = "cpp_starts_per_10k",
    nao: Annotated[
        bool,
        typer.Option(
            "--nao",
            help="New child protection plans on need only (no spend), shares beside the "
            "NAO's 2019 model.",
        ),
    ] = False,
    with_spend: Annotated[
        bool,
        typer.Option(
            "--with-spend",
            help="Sensitivity: add log s251 spend per child (spend plausibly follows demand).",
        ),
    ] = False,
    warehouse: WarehouseOpt = None,
    fmt: FormatOpt = "table",
) -> None:
    """Two-way fixed effects on need, variance decomposition, children's-centre event study."""
    from cscwatch.models.demand import COVARIATES, SPEND_COVARIATES, DemandModel
    from cscwatch.store.warehouse import open_warehouse

    check_format(fmt, ("table", "json"))
    if nao:
        _demand_nao(warehouse, fmt)
        return
    covariates = COVARIATES + (SPEND_COVARIATES if with_spend else ())
    with open_warehouse(_settings(warehouse)) as con:
        res = DemandModel(con, outcome, covariates=covariates).fit()
    if fmt == "json":
        emit_json(res.to_dict())
        return
    emit_table(
        f"{outcome}: authority and year fixed effects, SEs clustered by authority",
        ["covariate", "estimate", "95% CI", "p"],
        [
            [c.name, f"{c.estimate:.3f}", f"{c.lower:.3f} to {c.upper:.3f}", f"{c.p_value:.3f}"]
            for c in res.coefficients
        ],
        caption=f"{res.n_obs} authority-years, {res.n_authorities} authorities, "
        f"{res.years[0]}–{res.years[-1]}; within R² {res.r2_within:.3f}",
        right=[1, 3],
    )
    emit_table(
        "Share of variance (Shapley decomposition of R², and the range over orders of entry)",
        ["block", "Shapley", "range over orders"],
        [
            [s.block, _pct(s.share_of_variance), f"{_pct(s.low)} to {_pct(s.high)}"]
            for s in res.decomposition
        ]
        + [["unexplained", _pct(res.unexplained_share), ""]],
        caption="How shared variation is split between covariates and authority effects "
        "is a convention: see the range, and 'analyse demand --nao'."
        + (
            " SENSITIVITY with spend: spend plausibly follows demand (reverse "
            "causation); its coefficient is an association, not an effect."
            if with_spend
            else ""
        ),
        right=[1],
    )
    if res.event is not None:
        e = res.event
        iw = dict(e.iw_coefficients)
        emit_table(
            f"Event study: ≥30% one-year cut in children's-centre spend → {e.outcome}",
            ["event time", "TWFE estimate", "95% CI", "IW (Sun–Abraham)", "95% CI"],
            [
                [
                    f"{k:+d}",
                    f"{c.estimate:.2f}",
                    f"{c.lower:.2f} to {c.upper:.2f}",
                    f"{iw[k].estimate:.2f}" if k in iw else "–",
                    f"{iw[k].lower:.2f} to {iw[k].upper:.2f}" if k in iw else "–",
                ]
                for k, c in e.coefficients
            ],
            caption=f"{e.n_treated} cut, {e.n_control} never cut; pre-trend Wald p = "
            f"{_f(e.pretrend_p, 3)} (TWFE), {_f(e.iw_pretrend_p, 3)} (IW); DiD "
            f"{e.did.estimate:.2f} ({e.did.lower:.2f} to {e.did.upper:.2f}). "
            "See docs/methods/demand.md.",
            right=[1, 3],
        )


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x:.1%}"


def _demand_nao(warehouse: Path | None, fmt: str) -> None:
    from cscwatch.models.demand_nao import NaoDemandModel
    from cscwatch.store.warehouse import open_warehouse

    with open_warehouse(_settings(warehouse)) as con:
        res = NaoDemandModel(con).fit()
    if fmt == "json":
        emit_json(res.to_dict())
        return
    for v in res.variants:
        emit_table(
            f"{res.outcome} ({v.name}): {v.label}",
            ["block", "NAO order", "Shapley", "range over all orders", "NAO 2019"],
            [
                [
                    s.block,
                    _pct(s.nao_order),
                    _pct(s.shapley),
                    f"{_pct(s.low)} to {_pct(s.high)}",
                    _pct(s.nao_2019),
                ]
                for s in v.shares
            ]
            + [["unexplained", _pct(v.unexplained), "", "", ""]],
            caption=f"{v.n_obs} authority-years, {v.n_authorities} authorities, "
            f"{v.years[0]}–{v.years[-1]}; R² {v.r2:.3f}",
            right=[1, 2, 4],
        )
        if v.coefficients:
            emit_table(
                f"Coefficients ({v.name}), 95% CI clustered by authority",
                ["covariate", "estimate", "95% CI", "p"],
                [
                    [c.name, f"{c.estimate:.3f}", f"{c.lower:.3f} to {c.upper:.3f}",
                     f"{c.p_value:.3f}"]
                    for c in v.coefficients
                ],
                caption=v.coefficient_basis,
                right=[1, 3],
            )  # fmt: skip
        if v.caveat:
            typer.echo(f"Caveat ({v.name}): {v.caveat}")
    emit_table(
        "The NAO's 2019 shares (HC 1868: new plans per child, 2010-11 to 2016-17)",
        ["block", "share"],
        [[b, _pct(x)] for b, x in res.nao_reference],
        caption="Different years, covariates and order conventions: see "
        "docs/methods/demand.md, section 'Beside the NAO'.",
        right=[1],
    )


@analyse_app.command("all")
def analyse_all(
    out: Annotated[Path, typer.Option("--out", help="Methods folder to write.")] = Path(
        "docs/methods"
    ),
    warehouse: WarehouseOpt = None,
    n_boot: Annotated[int, typer.Option("--n-boot", help="Bootstrap replicates.")] = 1000,
    only: Annotated[
        str | None,
        typer.Option(
            "--only",
            help="Comma-separated pages to write (risk, quality, demand, forecast, care, "
            "placements).",
        ),
    ] = None,
    quiet: QuietOpt = False,
) -> None:
    """Run every analysis and write the methods pages, figures and JSON results."""
    from cscwatch.models.methods import write_methods
    from cscwatch.store.warehouse import open_warehouse

    pages = tuple(p.strip() for p in only.split(",") if p.strip()) if only else None
    settings = _settings(warehouse)
    with open_warehouse(settings) as con, progress_bar(quiet) as progress:
        histories = None
        if pages is None or "placements" in pages:
            from cscwatch.synth.ssda903 import model_histories

            histories = model_histories(con)
        written = write_methods(
            con,
            out,
            snapshot_dir=settings.snapshot_dir,
            n_boot=n_boot,
            pages=pages,
            progress=progress,
            placement_histories=histories,
        )
    emit_table("Methods written", ["file"], [[str(p)] for p in written])


@analyse_app.command("risk")
def analyse_risk(
    out: Annotated[Path, typer.Option("--out", help="Methods folder to write.")] = Path(
        "docs/methods"
    ),
    warehouse: WarehouseOpt = None,
    n_boot: Annotated[int, typer.Option("--n-boot", help="Bootstrap replicates.")] = 1000,
    quiet: QuietOpt = False,
) -> None:
    """Run the early-warning backtests and write only the risk methods page and results."""
    from cscwatch.models.methods import write_risk_methods
    from cscwatch.store.warehouse import open_warehouse

    settings = _settings(warehouse)
    with open_warehouse(settings) as con, progress_bar(quiet) as progress:
        written = write_risk_methods(
            con, out, snapshot_dir=settings.snapshot_dir, n_boot=n_boot, progress=progress
        )
    emit_table("Methods written", ["file"], [[str(p)] for p in written])
