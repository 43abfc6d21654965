"""Warehouse commands: ``build``, ``indicators``, ``show``, ``profile``, ``variation``,
``export``."""

from __future__ import annotations

import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cscwatch.core.types import parse_year
from cscwatch.indicators.flags import FLAG_FIELDS, FLAG_WORDS
from cscwatch.serve.cli import app
from cscwatch.serve.cli._output import (
    check_format,
    emit_csv,
    emit_json,
    emit_table,
    fmt_value,
)
from cscwatch.serve.cli._progress import QuietOpt, progress_bar

if TYPE_CHECKING:
    from collections.abc import Sequence

    from cscwatch.core.config import Settings
    from cscwatch.indicators.benchmarking import Benchmark
    from cscwatch.indicators.flags import OutlierFlag

__all__ = ["build", "export", "indicators", "profile", "show", "variation"]

WarehouseOpt = Annotated[
    Path | None,
    typer.Option(
        "--warehouse", help="DuckDB warehouse file (default: CSCWATCH_WAREHOUSE or user data dir)."
    ),
]
FormatOpt = Annotated[str, typer.Option("--format", "-f", help="table, json or csv.")]
YearOpt = Annotated[
    str | None,
    typer.Option(
        "--year",
        "-y",
        help="The publisher's year: 2025 (the year ending 31 March 2025, or the workforce "
        "census of 30 September 2025); 2024-25 where the period lies within it.",
    ),
]
PricesOpt = Annotated[
    str,
    typer.Option(
        "--prices",
        help="£ figures in cash terms (as published) or real terms (GDP deflator and base year "
        "of gdp_deflators.csv in the snapshot, named in the output).",
    ),
]


def _settings(warehouse: Path | None) -> Settings:
    # Imported here: pydantic costs a sixth of a second, and `indicators` needs none.
    from cscwatch.core.config import Settings

    return Settings(warehouse=warehouse) if warehouse else Settings()


def _lower_priority(niceness: int) -> None:
    # before DuckDB starts its worker threads, which inherit the calling thread's nice
    # value on Linux; where the platform has no nice, the build runs as it is
    if niceness and hasattr(os, "nice"):
        os.nice(niceness)


@app.command("build")
def build(
    warehouse: WarehouseOpt = None,
    snapshot: Annotated[
        Path | None, typer.Option("--snapshot", help="Snapshot folder (default: bundled).")
    ] = None,
    provisional: Annotated[
        list[Path] | None,
        typer.Option(
            "--provisional",
            help="Folder of an authority's own measures CSVs (cscwatch cin measures --out), "
            "loaded beside the published figures and marked provisional (repeatable; "
            "default: CSCWATCH_PROVISIONAL_DIR).",
        ),
    ] = None,
    fmt: FormatOpt = "table",
    quiet: QuietOpt = False,
    niceness: Annotated[
        int,
        typer.Option(
            "--niceness",
            min=0,
            max=19,
            envvar="CSCWATCH_BUILD_NICENESS",
            help="Lower this build's CPU priority by N (0-19) so that a server answering "
            "from the current warehouse stays responsive while it runs; on an idle machine "
            "the build is as fast. 0 keeps normal priority.",
        ),
    ] = 10,
) -> None:
    """Build the warehouse from the snapshot, atomically (the old one survives a failure).

    A build is batch work beside a server that answers people: it runs at a lower CPU
    priority (--niceness, default 10), set before the database starts its threads.
    """
    from cscwatch.indicators.build import default_loaders
    from cscwatch.store.warehouse import build_warehouse

    check_format(fmt, ("table", "json"))
    settings = _settings(warehouse)
    _lower_priority(niceness)
    with progress_bar(quiet) as progress:
        report = build_warehouse(
            settings,
            default_loaders(),
            snapshot_dir=snapshot,
            provisional_dirs=provisional or None,
            progress=progress,
        )
    if fmt == "json":
        emit_json(
            {
                "warehouse": str(report.path),
                "seconds": round(report.seconds, 3),
                "rows": report.row_counts,
                "warnings": list(report.warnings),
            }
        )
        return
    # The path on a line of its own: as a table title it wrapped mid-name to the
    # table's width.
    typer.echo(f"Built {report.path} in {report.seconds:.1f} s")
    emit_table(
        "Rows by table",
        ["table", "rows"],
        [[k, f"{v:,}"] for k, v in report.row_counts.items()],
        right=[1],
    )
    for warning in report.warnings:
        typer.echo(f"warning: {warning}", err=True)


@app.command("indicators")
def indicators(
    topic: Annotated[str | None, typer.Option("--topic", help="Only this topic.")] = None,
    fmt: FormatOpt = "table",
) -> None:
    """The indicator catalogue: id, title, unit, polarity, source, years."""
    from cscwatch.core.catalogue import CATALOGUE

    check_format(fmt)
    items = [i for i in CATALOGUE.values() if topic is None or i.topic == topic]
    rows = [i.record().to_dict() for i in items]
    if fmt == "json":
        emit_json(rows)
    elif fmt == "csv":
        emit_csv(rows)
    else:
        emit_table(
            f"{len(rows)} indicators",
            ["id", "title", "unit", "polarity", "years"],
            [
                [
                    str(r["id"]),
                    str(r["title"]),
                    str(r["unit_label"]),
                    str(r["polarity"]),
                    f"{i.year_label(i.years[0], short=True)}–"
                    f"{i.year_label(i.years[1], short=True)}",
                ]
                for r, i in zip(rows, items, strict=True)
            ],
        )


@app.command("show")
def show(
    indicator: Annotated[
        str | None, typer.Argument(help="Indicator id; omit for England's headline table.")
    ] = None,
    year: YearOpt = None,
    england: Annotated[
        bool, typer.Option("--england", help="England's headline indicators (the default).")
    ] = False,
    warehouse: WarehouseOpt = None,
    fmt: FormatOpt = "table",
    prices: PricesOpt = "cash",
) -> None:
    """One indicator for every authority in a year, or England's headline table."""
    from cscwatch.core.catalogue import get_indicator
    from cscwatch.indicators import prices as px
    from cscwatch.indicators.observations import england_headline, indicator_table
    from cscwatch.store.warehouse import open_warehouse

    check_format(fmt)
    pr = px.parse_prices(prices)
    y = parse_year(year).end if year else None
    with open_warehouse(_settings(warehouse)) as con:
        deflator = px.load_deflator(con) if pr == "real" else None
        if indicator is None or england:
            rows = england_headline(con, y)
            rows = px.real_headline(rows, deflator) if deflator else rows
            data = [asdict(r) for r in rows]
            if fmt == "json":
                emit_json(data)
            elif fmt == "csv":
                emit_csv(data)
            else:
                emit_table(
                    "England: headline indicators",
                    ["indicator", "year", "value", "1 year before", "change", "5-year change"],
                    [
                        [
                            r.title,
                            r.period_label,
                            fmt_value(r.value, r.unit),
                            fmt_value(r.previous, r.unit),
                            _signed(r.change_1y, r.unit),
                            _signed(r.change_5y, r.unit),
                        ]
                        for r in rows
                    ],
                    right=[2, 3, 4, 5],
                    caption="Source: DfE published statistics; each year as its source names "
                    "it. " + px.prices_note(pr, deflator),
                )
            return
        from cscwatch.indicators.benchmarking import default_year

        ind = get_indicator(indicator)
        y = default_year(con, ind.id, year or None)
        table = indicator_table(con, ind.id, y)
        table = px.real_indicator_rows(table, ind.id, y, deflator) if deflator else table
    data = [asdict(r) for r in table]
    money = ind.unit.is_money
    if fmt == "json":
        emit_json(
            {"indicator": ind.id, "year": y, "period_label": ind.year_label(y), "rows": data}
            | ({"prices": px.prices_note(pr, deflator)} if money else {})
        )
    elif fmt == "csv":
        emit_csv([_flat(d) for d in data], [*_SHOW_COLUMNS, *FLAG_FIELDS])
    else:
        has_flags = any(r.outlier is not None and r.outlier.flag_basis != "none" for r in table)
        emit_table(
            f"{ind.title}, {ind.year_label(y)}",
            ["rank", "area", "region", "value", *(["flag"] if has_flags else []), "note"],
            [
                [
                    str(r.rank or ""),
                    r.name,
                    r.region_name or r.geo_level,
                    fmt_value(r.value, ind.unit.value, r.status) + (" P" if r.provisional else ""),
                    *([_flag_cell(r.outlier)] if has_flags else []),
                    r.rank_note or "",
                ]
                for r in table
            ],
            right=[0, 3],
            caption=ind.definition
            + ("\n" + px.prices_note(pr, deflator) if money else "")
            + (f"\n{_FLAG_CAPTION}" if has_flags else "")
            + (
                "\nP = provisional: an authority's own return, not published (not ranked)."
                if any(r.provisional for r in table)
                else ""
            ),
        )


_SHOW_COLUMNS = (
    "geo_level",
    "geo_code",
    "name",
    "region_name",
    "value",
    "status",
    "rank",
    "rank_note",
    "provisional",
)
_FLAG_CAPTION = (
    "Flag: against England's value of the same year, 99.8% limits allowing for variation "
    "between authorities (docs/methods/benchmarking.md); ! = small denominator or fewer "
    "than 10 expected events (see the JSON or CSV flag_warning)."
)


def _flat(row: dict[str, object]) -> dict[str, object]:
    """A row with its nested ``outlier`` flag spread into the flag's own columns."""
    flag = row.pop("outlier", None)
    row.pop("trend", None)
    row.pop("funnel", None)
    out = dict(row)
    for k in FLAG_FIELDS:
        out[k] = flag.get(k) if isinstance(flag, dict) else None
    return out


def _flag_cell(flag: OutlierFlag | None) -> str:
    """A flag in a terminal table: its words, better/worse, and ! for a warning."""
    if flag is None:
        return ""
    if flag.flag == "not_assessed":
        return "not assessed"
    text = flag.flag_words
    if flag.flag_meaning in ("worse", "better"):
        text += f" ({flag.flag_meaning})"
    if flag.small_denominator or flag.approximate:
        text += " !"
    return text


def _signed(v: float | None, unit: str) -> str:
    if v is None:
        return "–"
    s = fmt_value(abs(v), unit)
    return ("+" if v > 0 else "−" if v < 0 else "±") + s


@app.command("profile")
def profile(
    authority: Annotated[str, typer.Argument(help="Authority name, LA number or GSS code.")],
    year: YearOpt = None,
    warehouse: WarehouseOpt = None,
    fmt: FormatOpt = "table",
    prices: PricesOpt = "cash",
    topic: Annotated[
        str | None,
        typer.Option(
            "--topic",
            help="Only this catalogue topic, or a group of topics: care (children in "
            "care: numbers, placements, leaving care, unit costs and spend).",
        ),
    ] = None,
) -> None:
    """Every indicator for one authority against England, region and statistical neighbours."""
    from dataclasses import replace

    from cscwatch.core.catalogue import topic_indicators
    from cscwatch.indicators import prices as px
    from cscwatch.indicators.benchmarking import profile as _profile
    from cscwatch.indicators.benchmarking import sn_mark
    from cscwatch.store.warehouse import open_warehouse

    check_format(fmt)
    pr = px.parse_prices(prices)
    y = parse_year(year).end if year else None
    only = set(topic_indicators(topic)) if topic is not None else None
    with open_warehouse(_settings(warehouse)) as con:
        deflator = px.load_deflator(con) if pr == "real" else None
        prof = _profile(con, authority, y)
        prof = px.real_profile(prof, deflator) if deflator else prof
    if only is not None:
        prof = replace(prof, benchmarks=tuple(b for b in prof.benchmarks if b.indicator in only))
    if fmt == "json":
        emit_json(prof.to_dict() | {"prices": px.prices_note(pr, deflator)})
        return
    if fmt == "csv":
        emit_csv(
            [
                {
                    "indicator": b.indicator,
                    "year": b.year,
                    "period_label": b.period_label,
                    "value": b.value,
                    "status": b.status,
                    "england": b.england,
                    "region": b.region,
                    "sn_mean": b.sn_mean,
                    "sn_median": b.sn_median,
                    "sn_n": b.sn_n,
                    "rank": b.rank,
                    "n_ranked": b.n_ranked,
                    "rank_note": b.rank_note,
                    "joint_with": " ".join(b.joint_with) or None,
                    "quartile": b.quartile,
                    "trend": b.trend.judgement,
                    "provisional": b.provisional,
                    "reference_year": b.reference_year,
                    **b.outlier.to_dict(),
                }
                for b in prof.benchmarks
            ]
        )
        return
    a = prof.authority
    extra = ""
    if a.predecessors:
        extra += f"; formed from {', '.join(a.predecessors)}"
    if a.successors:
        extra += f"; replaced by {', '.join(a.successors)}"
    emit_table(
        f"{a.name} ({a.la_code}, {a.gss_code}), {a.region_name}{extra}",
        [
            "indicator",
            "year",
            "value",
            "England",
            "region",
            "neighbours",
            "rank",
            "quartile",
            "flag",
            "trend",
        ],
        [
            [
                b.title,
                b.period_label,
                fmt_value(b.value, b.unit, b.status) + (" P" if b.provisional else ""),
                fmt_value(b.england, b.unit),
                fmt_value(b.region, b.unit),
                fmt_value(b.sn_mean, b.unit) + sn_mark(b.sn_mean, b.sn_n),
                (f"{b.rank}/{b.n_ranked}" if b.rank else "–")
                + (" J" if b.joint_with else "")
                + (" !" if b.rank and b.outlier.small_denominator else ""),
                b.quartile_label or "–",
                _flag_cell(b.outlier),
                b.trend.judgement,
            ]
            for b in prof.benchmarks
        ],
        right=[2, 3, 4, 5, 6],
        caption="Rank 1 = highest value; ! = small denominator. "
        + _joint_caption(prof.benchmarks)
        + _FLAG_CAPTION
        + " Neighbours: mean of the 10 statistical neighbours"
        + _sn_caption(prof.benchmarks)
        + ". "
        + px.prices_note(pr, deflator)
        + _provisional_caption(prof.benchmarks),
    )


def _sn_caption(benchmarks: Sequence[Benchmark]) -> str:
    """Says what ``(n=4)`` means, when a profile has such a mean."""
    from cscwatch.indicators.benchmarking import sn_mark

    if not any(sn_mark(b.sn_mean, b.sn_n) for b in benchmarks):
        return ""
    return "; (n=4) = the mean of the 4 of them with a figure that year"


def _joint_caption(benchmarks: Sequence[Benchmark]) -> str:
    """Names the partner of a joint workforce return, or of a joint service whose figure
    the publisher gives under the former authority's number, when the profile has one;
    says why a former authority's figure after it ceased is not ranked."""
    out = ""
    for method, what in (
        ("shared", "joint workforce return"),
        (
            "former_number",
            "joint service (its figure published under the former authority's number)",
        ),
    ):
        names = sorted({n for b in benchmarks if b.method == method for n in b.joint_names})
        if names:
            out += f"J = {what} with {' and '.join(names)}: one figure for both, ranked once. "
    names = sorted({n for b in benchmarks if b.method == "ceased" for n in b.joint_names})
    if names:
        out += (
            f"J = {' and '.join(names)}'s figure, which the publisher gives under this former "
            "authority's number after it ceased: ranked as theirs, not here. "
        )
    return out


def _provisional_caption(benchmarks: Sequence[Benchmark]) -> str:
    """A caption line when any value is provisional (the authority's own return)."""
    refs = sorted({b.reference_year for b in benchmarks if b.provisional and b.reference_year})
    if not any(b.provisional for b in benchmarks):
        return ""
    against = (
        f" published figures for {', '.join(map(str, refs))}" if refs else " published figures"
    )
    return (
        "\nP = provisional: computed by cscwatch from the authority's own return, not "
        f"published; England, region, neighbours, rank, quartile and funnel are the{against}."
    )


@app.command("variation")
def variation(
    indicator: Annotated[str, typer.Argument(help="Indicator id.")],
    year: YearOpt = None,
    include_small: Annotated[
        bool, typer.Option("--include-small", help="Include City of London and Isles of Scilly.")
    ] = False,
    warehouse: WarehouseOpt = None,
    fmt: FormatOpt = "table",
    prices: PricesOpt = "cash",
) -> None:
    """How much an indicator varies between authorities in a year."""
    from cscwatch.core.catalogue import get_indicator
    from cscwatch.indicators import prices as px
    from cscwatch.indicators.benchmarking import default_year
    from cscwatch.indicators.variation import variation as _variation
    from cscwatch.store.warehouse import open_warehouse

    check_format(fmt)
    pr = px.parse_prices(prices)
    ind = get_indicator(indicator)
    with open_warehouse(_settings(warehouse)) as con:
        deflator = px.load_deflator(con) if pr == "real" else None
        y = default_year(con, ind.id, year or None)
        v = _variation(con, ind.id, y, include_small=include_small)
        v = px.real_variation(v, deflator) if deflator else v
    d = v.view(px.prices_note(pr, deflator) if ind.unit.is_money else None).to_dict()
    fc, cc = v.flag_counts or {}, v.chance_flag_counts or {}
    if fmt == "json":
        emit_json(d)
    elif fmt == "csv":
        emit_csv(
            [
                {
                    "indicator": v.indicator,
                    "year": v.year,
                    "period_label": ind.year_label(v.year),
                    "n": v.n,
                    "min": v.min_value,
                    "min_authority": v.min_authority,
                    "max": v.max_value,
                    "max_authority": v.max_authority,
                    "median": v.median,
                    "q1": v.q1,
                    "q3": v.q3,
                    "iqr": v.iqr,
                    "england": v.england,
                    **{f"n_{k}": fc.get(k) for k in ("higher", "lower", "within")},
                    **{f"n_chance_{k}": cc.get(k) for k in ("higher", "lower", "within")},
                }
            ]
        )
    else:
        u = ind.unit.value
        rows = [
            ["minimum", f"{fmt_value(v.min_value, u)} ({v.min_authority})"],
            ["lower quartile", fmt_value(v.q1, u)],
            ["median", fmt_value(v.median, u)],
            ["upper quartile", fmt_value(v.q3, u)],
            ["maximum", f"{fmt_value(v.max_value, u)} ({v.max_authority})"],
            ["interquartile range", fmt_value(v.iqr, u)],
            ["England", fmt_value(v.england, u)],
        ]
        if v.flag_counts is not None:
            for k in ("higher", "lower"):
                rows.append([f"{FLAG_WORDS[k]}", str(fc[k])])
            rows.append(
                [
                    "outside chance limits alone",
                    f"{cc['higher']} higher, {cc['lower']} lower",
                ]
            )
            for p in v.outliers:
                rows.append(
                    [
                        f"  {p.name}",
                        f"{fmt_value(p.value, u)}: {_flag_cell(p.outlier)}",
                    ]
                )
        caption = (
            None
            if include_small
            else "City of London and Isles of Scilly excluded (--include-small to include)."
        )
        if v.flag_counts is not None:
            caption = ((caption or "") + "\n" + _FLAG_CAPTION).strip()
        if ind.unit.is_money:
            caption = ((caption or "") + "\n" + px.prices_note(pr, deflator)).strip()
        emit_table(
            f"{ind.title}, {ind.year_label(y)}: variation across {v.n} authorities",
            ["measure", "value"],
            rows,
            caption=caption,
        )


@app.command("export")
def export(
    out: Annotated[Path, typer.Option("--out", "-o", help="File to write.")] = Path(
        "cscwatch_observations.csv"
    ),
    fmt: Annotated[str, typer.Option("--format", "-f", help="csv or parquet.")] = "csv",
    indicator: Annotated[
        str | None, typer.Option("--indicator", help="Only this indicator (default: all).")
    ] = None,
    warehouse: WarehouseOpt = None,
) -> None:
    """Export every observation in the publisher's tidy layout (values in full precision)."""
    from cscwatch.indicators.observations import export_tidy
    from cscwatch.store.warehouse import open_warehouse

    check_format(fmt, ("csv", "parquet"))
    with open_warehouse(_settings(warehouse)) as con:
        n = export_tidy(con, out, fmt, indicator=indicator)
    print(f"wrote {n:,} rows to {out}", file=sys.stderr)
