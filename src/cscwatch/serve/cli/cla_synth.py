"""``cscwatch cla synth`` (synthetic SSDA903 returns) and ``cscwatch cla forecast``
(the placement demand and cost model), added to the ``cla`` group of
:mod:`cscwatch.serve.cli.cla`. Every number of children shown from returns has passed
disclosure control in the library (:func:`cscwatch.models.placements.disclosed`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cscwatch.core.config import Settings
from cscwatch.core.errors import InputError
from cscwatch.core.types import parse_year
from cscwatch.serve.cli._output import check_format, emit_csv, emit_json, emit_table
from cscwatch.serve.cli._progress import QuietOpt, progress_bar
from cscwatch.serve.cli.cla import cla_app

if TYPE_CHECKING:
    from cscwatch.models.placements import ReturnYear, Scenario

__all__ = ["forecast", "synth"]


def _years(year: str, years: str | None) -> list[int]:
    if not years:
        return [parse_year(year).end]
    parts = re.split(r"\s*(?:\.\.|to|:)\s*|(?<=\d)-(?=\d{4}$)", years.strip())
    if len(parts) == 1 and re.fullmatch(r"\d{4}", parts[0]):
        return [parse_year(parts[0]).end]  # one year: a panel of one
    if len(parts) != 2:
        raise InputError(f"--years {years!r}: give a range such as 2021-2025")
    first, last = parse_year(parts[0]).end, parse_year(parts[1]).end
    if last < first or last - first > 9:
        raise InputError(f"--years {years!r}: the range runs backwards or spans over 10 years")
    return list(range(first, last + 1))


@cla_app.command("synth")
def synth(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write (created).")],
    authority: Annotated[
        list[str] | None,
        typer.Option("--authority", "-a", help="Name, GSS code or LA number (repeatable)."),
    ] = None,
    year: Annotated[str, typer.Option("--year", "-y", help="Reporting year, e.g. 2025.")] = "2025",
    years: Annotated[
        str | None,
        typer.Option("--years", help="Consecutive years, e.g. 2021-2025 (the same children)."),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same files).")] = 1,
    errors: Annotated[
        str | None,
        typer.Option("--errors", help="Rule codes to break (one record each), or 'all'."),
    ] = None,
    all_authorities: Annotated[
        bool, typer.Option("--all-authorities", help="Every authority with published figures.")
    ] = False,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, json or csv.")] = "table",
    quiet: QuietOpt = False,
) -> None:
    """Write synthetic SSDA903 returns calibrated to published looked-after figures.

    Each return (OUT/<LA>_<year>/) holds the twelve CSV tables in DfE's layout with
    exactly the published children looked after on 31 March and starting in the year,
    ceasing as the published numbers imply, and near the published placement mix,
    stability, adoptions and special guardianship orders (tolerances: tests/synth).
    CHILD is 'SYN' + LA number + serial; a CSCWATCH_SYNTHETIC marker file sits beside
    the files. An authority's years without published figures are skipped and listed
    (on stderr and in cscwatch-synth-manifest.json); its other years run as separate
    runs of consecutive years. Everything is written to a staging folder renamed to
    --out only when all is written.
    """
    from cscwatch.store.warehouse import open_warehouse
    from cscwatch.synth.ssda903 import resolve_all, write_synthetic_returns

    check_format(fmt)
    wanted = _years(year, years)
    rules = [r.strip() for r in errors.split(",") if r.strip()] if errors else None
    settings = Settings()
    with open_warehouse(settings) as con, progress_bar(quiet) as progress:
        if all_authorities:
            names = list(dict.fromkeys(a for y in wanted for a in resolve_all(con, y)))
        elif authority:
            names = list(dict.fromkeys(authority))
        else:
            raise InputError("name an --authority or give --all-authorities")
        run = write_synthetic_returns(
            con, names, wanted, seed, out, rules, cache_dir=settings.cache_dir, progress=progress
        )
    for a, y, why in run.skipped:
        typer.echo(f"skipped {a} {y or ''}: {why}", err=True)
    rows = [r.to_dict() for r in run.returns]
    skipped = [{"authority": a, "year": y, "reason": why} for a, y, why in run.skipped]
    if fmt == "json":
        emit_json({"out": str(run.out), "seed": seed, "returns": rows, "skipped": skipped,
                   "not_modelled": list(run.not_modelled)})  # fmt: skip
        return
    flat = [
        {"folder": r.folder, "la_code": r.la_code, "la_name": r.la_name, "year": r.year,
         "children": r.children, "episodes": r.episodes, "at31": r.achieved["at31"],
         "published_at31": r.targets.at31, "starts": r.achieved["starts"],
         "ceased": r.achieved["ceased"], "published_ceased": r.targets.ceased,
         "injected": ",".join(c for c, _, _ in r.injected)}
        for r in run.returns
    ]  # fmt: skip
    if fmt == "csv":
        emit_csv(flat)
        return
    emit_table(
        f"Synthetic SSDA903 returns in {run.out} (seed {seed})",
        ["Folder", "Authority", "Children", "Episodes", "At 31 Mar (published)",
         "Starts", "Ceased (published)", "Injected"],
        [[str(r["folder"]), str(r["la_name"]), f"{r['children']:,}", f"{r['episodes']:,}",
          f"{r['at31']:,} ({r['published_at31']:,})", f"{r['starts']:,}",
          f"{r['ceased']:,} ({r['published_ceased']:,})", str(r["injected"])]
         for r in flat],
        caption=(
            f"{len(flat)} returns; at 31 March and starts as published, ceased as the "
            "published numbers imply. Not modelled (header row only): "
            + ", ".join(run.not_modelled)
            + "".join(f"\nSkipped {s['authority']}: {s['reason']}" for s in skipped)
        ),
        right=[2, 3, 4, 5, 6],
    )  # fmt: skip


def _read_dirs(dirs: list[Path]) -> list[ReturnYear]:
    from cscwatch.childlevel.pseudonym import SYNTHETIC_MARKER, resolve_pseudonymiser
    from cscwatch.childlevel.ssda903.reader import read_return
    from cscwatch.models.placements import ReturnYear, infer_year

    settings = Settings()
    out: list[ReturnYear] = []
    for folder in dirs:
        if not folder.is_dir():
            raise InputError(f"{folder}: not a folder of SSDA903 CSV files")
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".csv")
        if not files:
            raise InputError(f"{folder}: no CSV files")
        marker = folder / "CSCWATCH_SYNTHETIC"
        synthetic = marker.is_file() and marker.read_text(encoding="utf-8").strip() == (
            SYNTHETIC_MARKER
        )
        ret = read_return(files, pseudonymiser=resolve_pseudonymiser(settings, synthetic=synthetic))
        for table in ("episodes", "header"):
            if table not in ret.tables:
                raise InputError(f"{folder}: no {table} table among its CSV files")
        episodes = ret.tables["episodes"]
        out.append(ReturnYear(infer_year(episodes), episodes, ret.tables["header"]))
    return out


def _pounds(value: object) -> str:
    """Pounds for people: ``£1.2m`` from £1 million, ``£340k`` below it, ``£0`` for
    nothing; the sign only when the rounded figure is not zero (never ``-£0.0m``);
    strings (suppressed cells, ``c``) as they are."""
    if isinstance(value, str) or value is None:
        return "" if value is None else value
    x = float(str(value))
    tenths_m = math.floor(abs(x) / 1e5 + 0.5)  # rounded half up, as people read money
    thousands = math.floor(abs(x) / 1e3 + 0.5)
    if thousands >= 1000:
        text = f"£{tenths_m // 10:,}.{tenths_m % 10}m"
    elif thousands >= 1:
        text = f"£{thousands:,}k"
    else:
        return "£0"
    return f"-{text}" if x < 0 else text


def _scenario(text: str | None) -> Scenario | None:
    from cscwatch.models.placements import Scenario

    if text is None:
        return None
    m = re.fullmatch(r"\s*residential-to-fostering\s*=\s*([0-9.]+)\s*", text)
    if not m:
        raise InputError(f"--scenario {text!r}: use residential-to-fostering=SHARE (0 to 1)")
    try:
        share = float(m.group(1))
    except ValueError:
        raise InputError(f"--scenario {text!r}: {m.group(1)!r} is not a number") from None
    return Scenario("residential-to-fostering", share)


@cla_app.command("forecast")
def forecast(
    return_dirs: Annotated[
        list[Path], typer.Argument(help="Folders of consecutive years' returns (CSV sets).")
    ],
    years: Annotated[int, typer.Option("--years", help="Years to forecast, 1 to 3.")] = 3,
    unit_costs: Annotated[
        Path | None,
        typer.Option("--unit-costs", help="CSV of group,weekly_cost overriding the defaults."),
    ] = None,
    authority: Annotated[
        str | None,
        typer.Option(
            "--authority",
            "-a",
            help="Whose published unit costs are the defaults (else England's).",
        ),
    ] = None,
    scenario: Annotated[
        str | None,
        typer.Option("--scenario", help="e.g. residential-to-fostering=0.2"),
    ] = None,
    n_boot: Annotated[int, typer.Option("--n-boot", help="Bootstrap replicates.")] = 200,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 20261201,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, json or csv.")] = "table",
    quiet: QuietOpt = False,
) -> None:
    """Forecast children looked after by placement type, and their cost, for 1-3 years.

    A monthly stock-and-flow model by age band fitted on the returns' episodes; 95%
    intervals from a bootstrap over children, the chance of the months ahead and the
    year-to-year drift of rates measured on every authority's published figures (the
    warehouse's). Costs apply weekly unit costs per group: by default the section 251
    unit costs published for --authority (England's without it): fostering,
    residential, and the all-looked-after average for other groups; cash prices of
    their year, no inflation; a published cost that moved by a quarter or more in its
    latest year is named with a caution. Counts of 1 to 5 children are shown as c (and
    what would reveal them).
    """
    from cscwatch.indicators.authorities import resolve_authority
    from cscwatch.models._placements_costs import default_unit_costs, read_unit_costs
    from cscwatch.models.placements import PlacementModel, disclosed, estimate_drift
    from cscwatch.store.warehouse import open_warehouse

    check_format(fmt)
    chosen = _scenario(scenario)
    returns = _read_dirs(return_dirs)
    last = max(r.year for r in returns)
    costs = None
    with open_warehouse(Settings()) as con:
        if unit_costs is None or authority is not None:
            la = resolve_authority(con, authority).la_code if authority else None
            costs = default_unit_costs(con, la, last)
        drift = estimate_drift(con, last)
    if unit_costs is not None:
        costs = read_unit_costs(unit_costs, costs)
    assert costs is not None
    with progress_bar(quiet):
        fc = PlacementModel(
            returns,
            horizon=years,
            n_boot=n_boot,
            seed=seed,
            unit_costs=costs.costs,
            unit_cost_source=costs.sources,
            scenario=chosen,
            drift=drift,
        ).fit()
    safe = disclosed(fc)
    rows = [{str(k): v for k, v in r.items()} for r in safe.to_dict("records")]
    relative = (
        f"from the children looked after on {fc.base_date:%d %B %Y} (returns "
        f"{fc.fitted_years[0]} to {fc.fitted_years[-1]}); costs at {costs.price_base}"
    )
    intervals = (
        f"95% intervals: {fc.draws.shape[0]} replicates carrying the rates' sampling, the "
        f"chance of the months ahead and {drift.source}; shown for all children only, "
        "where they kept their promise in the backtest (each placement group's fell short: "
        "docs/methods/placements.md); cost intervals take the unit costs as exact"
    )
    if fmt == "json":
        emit_json({"relative_to": relative, "intervals": intervals,
                   "price_base": costs.price_base, "unit_cost_cautions": costs.cautions,
                   **fc.to_dict(), "rows": rows})  # fmt: skip
        return
    if fmt == "csv":
        emit_csv(rows)
        return

    def count(v: object) -> str:
        return v if isinstance(v, str) else f"{int(str(v)):,}"

    def span(low: object, high: object, show: Callable[[object], str], sep: str) -> str:
        return "not validated" if low is None or high is None else f"{show(low)}{sep}{show(high)}"

    headers = ["31 March", "Placement", "Children", "95% interval", "Cost in year", "95% interval"]
    if fc.scenario is not None:
        headers += ["Scenario children", "95% interval", "Scenario cost difference",
                    "95% interval"]  # fmt: skip
    table = []
    for r in rows:
        line = [str(r["year"]), str(r["group"]).replace("_", " "), count(r["children"]),
                span(r["children_low"], r["children_high"], count, "-"), _pounds(r["cost"]),
                span(r["cost_low"], r["cost_high"], _pounds, " to ")]  # fmt: skip
        if fc.scenario is not None:
            line += [
                count(r["scenario_children"]),
                span(r["scenario_children_low"], r["scenario_children_high"], count, "-"),
                _pounds(r["cost_difference"]),
                span(r["cost_difference_low"], r["cost_difference_high"], _pounds, " to "),
            ]
        table.append(line)
    sources = "; ".join(f"{g}: £{c:,.0f} ({fc.unit_cost_source.get(g, '')})"
                        for g, c in fc.unit_costs.items())  # fmt: skip
    cautions = "".join(f" Caution: {c}." for c in costs.cautions.values())
    emit_table(
        "Children looked after by placement type: forecast",
        headers,
        table,
        caption=f"Forecast {relative}. Weekly unit costs: {sources}.{cautions} {intervals}.",
        right=[2, 4, 6, 8] if fc.scenario is not None else [2, 4],
    )
