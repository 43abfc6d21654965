"""Synthetic CIN census returns for demonstrations, tests and benchmarks.

A synthetic return is a CIN census XML file in the DfE layout, sized and calibrated to
one authority's published figures for one year (see
:mod:`cscwatch.synth.cin.targets` for the targets,
:mod:`cscwatch.synth.cin.simulation` for how the year is simulated,
:mod:`cscwatch.synth.cin.writer` for the XML and
:mod:`cscwatch.synth.cin.errors` for injected validation errors). It is marked
``<SoftwareCode>cscwatch-synthetic`` and its ``LAchildID`` values are ``SYN`` + LA
number + two-digit year + serial, so it can never be mistaken for a real return.
Returns made one year at a time never link as the same child; a linked panel of
consecutive years (:mod:`cscwatch.synth.cin.panel`) keeps a child's identifiers, the
year in them being the year the child was first seen.

Examples
--------
>>> figures = PublishedFigures(settings.snapshot_dir)  # doctest: +SKIP
>>> result = write_synthetic_return(figures, "Hampshire", 2025, 1, Path("out"))  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cscwatch.core import bank_holidays as _calendar
from cscwatch.synth.cin.errors import INJECTORS, NOT_INJECTED, inject
from cscwatch.synth.cin.simulation import SyntheticReturn, synthesise
from cscwatch.synth.cin.targets import PublishedFigures, SynthTargets
from cscwatch.synth.cin.writer import TextReturn, render, to_text

__all__ = [
    "INJECTORS",
    "NOT_INJECTED",
    "PublishedFigures",
    "SynthResult",
    "SynthTargets",
    "SyntheticReturn",
    "bank_holidays",
    "synthesise",
    "synthetic_return_text",
    "synthetic_xml",
    "write_synthetic_return",
]


#: Years of the synthetic calendar: wide enough for any history a simulated year reaches.
_CALENDAR_YEARS = (2010, 2040)


def bank_holidays() -> np.ndarray:
    """England and Wales bank holidays (the validation rules' calendar) as datetime64[D]."""
    return np.array(_calendar.bank_holidays(*_CALENDAR_YEARS), dtype="datetime64[D]")


@dataclass(frozen=True)
class SynthResult:
    """One written synthetic return."""

    path: Path
    la_code: str
    la_name: str
    year: int
    children: int
    referrals: int
    injected: tuple[str, ...]
    targets: SynthTargets


def synthetic_return_text(
    figures: PublishedFigures,
    authority: str,
    year: int,
    seed: int,
    inject_rules: list[str] | None = None,
) -> TextReturn:
    """Simulate one authority's year and return it as text columns (errors injected)."""
    return _text_for(figures.targets(authority, year), seed, inject_rules)


def _text_for(targets: SynthTargets, seed: int, inject_rules: list[str] | None) -> TextReturn:
    text = to_text(synthesise(targets, seed, bank_holidays()))
    if inject_rules:
        inject(text, inject_rules, seed)
    return text


def synthetic_xml(
    figures: PublishedFigures,
    authority: str,
    year: int,
    seed: int,
    inject_rules: list[str] | None = None,
) -> str:
    """The XML document of a synthetic return."""
    return str(render(synthetic_return_text(figures, authority, year, seed, inject_rules)))


def write_synthetic_return(
    figures: PublishedFigures,
    authority: str,
    year: int,
    seed: int,
    out_dir: Path,
    inject_rules: list[str] | None = None,
) -> SynthResult:
    """Write ``cin_<LA>_<year>_seed<seed>.xml`` into ``out_dir``.

    Parameters
    ----------
    figures : PublishedFigures
        The snapshot's published figures.
    authority : str
        Name, GSS code or LA number.
    year : int
        Reporting year (ending 31 March).
    seed : int
        Same inputs and seed → byte-identical file.
    out_dir : Path
        Created if missing.
    inject_rules : list of str, optional
        Validation rule codes to break (``["all"]`` for every injector).

    Raises
    ------
    UnknownAuthorityError, UnknownYearError
        Authority or year not in the published figures.
    InputError
        A rule that cannot be injected.
    """
    t = figures.targets(authority, year)
    text = _text_for(t, seed, inject_rules)
    path = Path(out_dir) / f"cin_{t.la_code}_{year}_seed{seed}.xml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(text), encoding="utf-8")
    return SynthResult(
        path=path,
        la_code=t.la_code,
        la_name=t.la_name,
        year=year,
        children=text.rows("child"),
        referrals=int(
            (
                np.array([r is not None for r in text.tables["episode"]["ref"]])
                & (text.tables["episode"]["kind"] <= 3)
            ).sum()
        ),
        injected=tuple(text.injected),
        targets=t,
    )
