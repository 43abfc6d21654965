"""Synthetic SSDA903 returns for demonstrations, tests, benchmarks and backtests.

For each authority asked for, the years asked for are simulated as one population
(:mod:`~cscwatch.synth.ssda903.simulation`, calibrated to
:mod:`~cscwatch.synth.ssda903.targets`), so the same children run through consecutive
returns; each year is written as a CSV set in DfE's layout
(:mod:`~cscwatch.synth.ssda903.writer`) with errors injected on request
(:mod:`~cscwatch.synth.ssda903.errors`).

Layout: ``OUT/<LA number>_<year>/<table>.csv``, and a file ``CSCWATCH_SYNTHETIC``
holding ``cscwatch-synthetic`` in ``OUT`` and in every return's folder (the reader
accepts the public demo pseudonym key only for files beside it). ``CHILD`` is ``SYN`` +
LA number + serial. Everything is written into a temporary folder beside ``OUT`` and
renamed into place at the end, so a failure leaves no half-written output; an existing
``OUT`` is replaced only when it is itself synthetic output (it has the marker).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from cscwatch.childlevel.pseudonym import SYNTHETIC_MARKER
from cscwatch.core.errors import InputError, UnknownYearError
from cscwatch.core.progress import ProgressCallback, report
from cscwatch.models.placements import ReturnYear
from cscwatch.synth.ssda903.errors import inject
from cscwatch.synth.ssda903.places import add_places, authority_postcodes
from cscwatch.synth.ssda903.simulation import Population, simulate
from cscwatch.synth.ssda903.targets import CareTargets, care_targets
from cscwatch.synth.ssda903.writer import EMPTY_TABLES, year_tables

__all__ = [
    "MANIFEST",
    "MARKER_FILE",
    "SynthReturn",
    "SynthRun",
    "authority_returns",
    "model_histories",
    "resolve_all",
    "write_synthetic_returns",
]

#: The marker file's name; its content is :data:`SYNTHETIC_MARKER`.
MARKER_FILE = "CSCWATCH_SYNTHETIC"
#: Written in ``OUT`` beside the returns: what was written, what was skipped and why.
MANIFEST = "cscwatch-synth-manifest.json"


@dataclass(frozen=True)
class SynthReturn:
    """One written (or built) return: one authority, one year."""

    la_code: str
    la_name: str
    year: int
    folder: str
    children: int
    episodes: int
    targets: CareTargets
    achieved: dict[str, int]
    shortfalls: tuple[str, ...]
    injected: tuple[tuple[str, str, int], ...]

    def to_dict(self) -> dict[str, object]:
        """Plain values for JSON."""
        return {
            "la_code": self.la_code,
            "la_name": self.la_name,
            "year": self.year,
            "folder": self.folder,
            "children": self.children,
            "episodes": self.episodes,
            "targets": {k: self.targets.to_dict()[k] for k in ("at31", "starts", "ceased")},
            "achieved": self.achieved,
            "imputed": list(self.targets.imputed),
            "shortfalls": list(self.shortfalls),
            "injected": [{"rule": c, "table": t, "line": p + 2} for c, t, p in self.injected],
        }


@dataclass(frozen=True)
class SynthRun:
    """What one call wrote, and what it skipped and why."""

    out: Path | None
    seed: int
    returns: tuple[SynthReturn, ...]
    skipped: tuple[tuple[str, int | None, str], ...] = field(default=())
    not_modelled: tuple[str, ...] = EMPTY_TABLES

    def to_dict(self) -> dict[str, object]:
        """Plain values for JSON (the manifest's content)."""
        return {
            "out": str(self.out),
            "seed": self.seed,
            "returns": [r.to_dict() for r in self.returns],
            "skipped": [{"authority": a, "year": y, "reason": why} for a, y, why in self.skipped],
            "not_modelled": list(self.not_modelled),
        }

    def summary(self) -> str:
        """One line per return, then the skipped ones."""
        lines = [
            f"{r.la_code} {r.year}: {r.children} children, {r.episodes} episodes, "
            f"{r.achieved['at31']} looked after on 31 March (published {r.targets.at31})"
            for r in self.returns
        ]
        lines += [f"skipped {a} {y or ''}: {why}" for a, y, why in self.skipped]
        return "\n".join(lines)


def authority_returns(
    con: duckdb.DuckDBPyConnection,
    authority: str,
    years: Sequence[int],
    seed: int,
    errors: list[str] | None = None,
    *,
    cache_dir: Path | None = None,
) -> tuple[Population, dict[int, dict[str, pd.DataFrame]], list[SynthReturn]]:
    """Simulate one authority over consecutive ``years`` and build each year's tables.

    With a ``cache_dir`` (where the reference postcodes' parquet copy is kept, built
    there once), episodes carry real postcodes near the authority; without one, none.

    Raises
    ------
    UnknownAuthorityError
        The authority is not known.
    UnknownYearError
        A year has no published figures (the message names it).
    InputError
        Years not consecutive; an error code with no injection.
    """
    years = sorted(set(years))
    if years != list(range(years[0], years[0] + len(years))):
        raise InputError(f"years must be consecutive, got {years}")
    targets = [care_targets(con, authority, y) for y in years]
    pool = None if cache_dir is None else authority_postcodes(con, targets[0].la_code, cache_dir)
    pop = simulate(targets, seed)
    add_places(pop, pool, seed)
    tables: dict[int, dict[str, pd.DataFrame]] = {}
    built: list[SynthReturn] = []
    for t in targets:
        text = year_tables(pop, t.year, seed)
        done = inject(text, errors) if errors else []
        tables[t.year] = text
        built.append(
            SynthReturn(
                la_code=t.la_code,
                la_name=t.la_name,
                year=t.year,
                folder=f"{t.la_code}_{t.year}",
                children=len(text["header"]),
                episodes=len(text["episodes"]),
                targets=t,
                achieved=pop.achieved[t.year],
                shortfalls=tuple(pop.shortfalls[t.year]),
                injected=tuple(done),
            )
        )
    return pop, tables, built


def _write_set(folder: Path, tables: dict[str, pd.DataFrame]) -> None:
    folder.mkdir(parents=True)
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False, lineterminator="\n")
    (folder / MARKER_FILE).write_text(SYNTHETIC_MARKER + "\n", encoding="utf-8")


def write_synthetic_returns(
    con: duckdb.DuckDBPyConnection,
    authorities: Sequence[str],
    years: Sequence[int],
    seed: int,
    out: Path,
    errors: list[str] | None = None,
    progress: ProgressCallback | None = None,
    *,
    cache_dir: Path | None = None,
) -> SynthRun:
    """Write consecutive years of synthetic returns for each authority into ``out``
    (with postcodes when given a ``cache_dir``: see :func:`authority_returns`).

    An authority's years without published figures are skipped and listed (in the
    result and in :data:`MANIFEST`); its other years are simulated as separate runs of
    consecutive years (children do not link across a gap). ``progress(stage, done,
    total)`` is called per authority.

    Raises
    ------
    InputError
        ``out`` exists and is not synthetic output; nothing could be written.
    """
    out = Path(out)
    if out.exists() and not (out / MARKER_FILE).is_file() and any(out.iterdir()):
        raise InputError(f"{out} exists and is not cscwatch synthetic output; give a new folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    skipped: list[tuple[str, int | None, str]] = []
    written: list[SynthReturn] = []
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for i, authority in enumerate(authorities):
            report(progress, "writing returns", i, len(authorities))
            found: list[int] = []
            for y in sorted(set(years)):
                try:
                    care_targets(con, authority, y)
                except UnknownYearError as exc:
                    skipped.append((authority, y, str(exc)))
                    continue
                found.append(y)
            for run in _consecutive(found):
                _, tables, built = authority_returns(
                    con, authority, run, seed, errors, cache_dir=cache_dir
                )
                for r in built:
                    _write_set(tmp / r.folder, tables[r.year])
                written.extend(built)
        report(progress, "writing returns", len(authorities), len(authorities))
        if not written:
            raise InputError(
                "no synthetic return written: " + "; ".join(f"{a}: {why}" for a, _, why in skipped)
            )
        (tmp / MARKER_FILE).write_text(SYNTHETIC_MARKER + "\n", encoding="utf-8")
        result = SynthRun(out, seed, tuple(written), tuple(skipped))
        manifest = json.dumps(result.to_dict(), indent=1, default=str)
        (tmp / MANIFEST).write_text(manifest + "\n", encoding="utf-8")
        if out.exists():
            old = out.with_name(f".{out.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(out, old)
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return result


def _consecutive(years: list[int]) -> list[list[int]]:
    # Runs of consecutive years, in order.
    runs: list[list[int]] = []
    for y in years:
        if runs and runs[-1][-1] == y - 1:
            runs[-1].append(y)
        else:
            runs.append([y])
    return runs


def resolve_all(con: duckdb.DuckDBPyConnection, year: int) -> list[str]:
    """LA numbers with a published number looked after on 31 March ``year``."""
    rows = con.execute(
        "SELECT DISTINCT geo_code FROM observation WHERE indicator = 'lac_at31' "
        "AND geo_level = 'la' AND year = ? AND value IS NOT NULL ORDER BY geo_code",
        [year],
    ).fetchall()
    return [str(r[0]) for r in rows]


#: The synthetic histories the placements methods page backtests on.
BACKTEST_YEARS = (2021, 2022, 2023, 2024, 2025)
#: Seeds of the backtest's histories: each authority simulated once per seed.
BACKTEST_SEEDS = (903, 904, 905)
#: Quantiles of the number looked after on 31 March of the last year at which the
#: backtest's authorities are taken (smallest to largest), plus the largest.
_BACKTEST_QUANTILES = (0.1, 0.3, 0.5, 0.7, 0.9, 1.0)


def model_histories(
    con: duckdb.DuckDBPyConnection,
    years: Sequence[int] = BACKTEST_YEARS,
    seeds: Sequence[int] = BACKTEST_SEEDS,
) -> tuple[dict[str, list[ReturnYear]], dict[str, str], str]:
    """Synthetic consecutive returns for the placement model's backtest, in memory.

    Authorities: those at the 10th, 30th, 50th, 70th and 90th percentiles of the number
    looked after on the last year's 31 March, and the largest (among authorities with
    figures in every year); each simulated once per seed.

    Returns
    -------
    histories, names, note
        Returns per history (``LA number:seed``, as the model reads them), authority
        names per LA number, and a sentence saying how they were made.
    """
    sizes = con.execute(
        "SELECT geo_code, value FROM observation WHERE indicator = 'lac_at31' "
        "AND geo_level = 'la' AND year = ? AND value IS NOT NULL ORDER BY value, geo_code",
        [max(years)],
    ).fetchall()
    picked: list[str] = []
    for q in _BACKTEST_QUANTILES:
        la = str(sizes[min(len(sizes) - 1, int(q * (len(sizes) - 1)))][0])
        if la not in picked:
            picked.append(la)
    histories: dict[str, list[ReturnYear]] = {}
    names: dict[str, str] = {}
    for la in picked:
        for seed in seeds:
            try:
                _, tables, built = authority_returns(con, la, years, seed)
            except UnknownYearError:
                break
            histories[f"{la}:{seed}"] = [
                ReturnYear(y, tables[y]["episodes"], tables[y]["header"]) for y in sorted(tables)
            ]
            names[la] = built[0].la_name
    note = (
        f"Synthetic returns for {min(years)}-{max(years)} (seeds "
        f"{', '.join(str(s) for s in seeds)}, `cscwatch cla synth`), calibrated to each "
        "authority's published figures."
    )
    return histories, names, note
