"""Validate an SSDA903 return and compute its measures in one pass (``cscwatch cla check``).

:func:`check_return` does what :func:`.validation.validate_return` and
:func:`.measures.compute_cla_measures` do, reading, pseudonymising and staging the return
(and the previous year's) once and looking its postcodes up once: the measures are
computed on the tables the rules ran on, before the in-memory database is closed. The
two results are exactly those of the separate calls (the tests compare them), and like
them nothing is stored.

The authority measured is the one whose return it is, so it is also the placing
authority the PL_LA rules compare with (``--la-code`` of ``cla validate``), unless
another is given. The measures' year is the collection period's (the ruleset's year, or
``period``) unless another is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cscwatch.childlevel.pseudonym import Pseudonymiser
from cscwatch.childlevel.ssda903.reader import Return903
from cscwatch.childlevel.ssda903.validation import ValidationReport903, _validate
from cscwatch.core.config import Settings
from cscwatch.core.errors import InputError
from cscwatch.core.progress import ProgressCallback

if TYPE_CHECKING:
    import duckdb

    from cscwatch.childlevel.cin.measures import AuthorityInfo
    from cscwatch.childlevel.ssda903.measure_results import ClaMeasures

__all__ = ["ReturnCheck903", "check_return"]


@dataclass(frozen=True)
class ReturnCheck903:
    """A return's validation and measures, from one read. Read-only; never stored.

    Attributes
    ----------
    validation : ValidationReport903
        As :func:`.validation.validate_return` gives it.
    measures : ClaMeasures
        As :func:`.measures.compute_cla_measures` gives them (disclosure control is
        applied when they are shown, as there).
    """

    validation: ValidationReport903
    measures: ClaMeasures

    def to_dict(self, *, with_refs: bool = False) -> dict[str, Any]:
        """``{"validation": ..., "measures": ...}``, each as its own ``to_dict``."""
        return {
            "validation": self.validation.to_dict(with_refs=with_refs),
            "measures": self.measures.to_dict(),
        }

    def summary(self) -> str:
        """The validation's summary, then the measures' headline figures."""
        return f"{self.validation.summary()}\n{self.measures.summary}"


def check_return(
    paths: Sequence[Path | str],
    ruleset: str,
    previous: Sequence[Path | str] | None = None,
    settings: Settings | None = None,
    *,
    authority: AuthorityInfo,
    year: int | None = None,
    population: int | None = None,
    period: int | None = None,
    postcodes: bool = True,
    keep_child_refs: bool = False,
    rules: Sequence[str] | None = None,
    pseudonymiser: Pseudonymiser | None = None,
    progress: ProgressCallback | None = None,
    la_code: str | None = None,
    providers: Sequence[Path | str] | None = None,
) -> ReturnCheck903:
    """Validate a return and compute its measures, reading and staging it once.

    Parameters
    ----------
    paths, ruleset, previous, settings, period, postcodes, keep_child_refs, rules, \
pseudonymiser, progress, providers
        As :func:`.validation.validate_return`.
    authority : AuthorityInfo
        The authority whose return it is (:func:`.measures.resolve_cla_authority`).
    year : int, optional
        The year the measures' collection year ends (default: the collection
        period's, as validated).
    population : int, optional
        Children 0–17 for the rates (:func:`.measures.population_lookup`).
    la_code : str, optional
        The placing authority for the PL_LA rules (default: ``authority``).

    Raises
    ------
    SourceFileError, InputError, ConfigError
        As :func:`.validation.validate_return`; InputError too when the return has no
        episodes table (nothing to measure).
    """
    from cscwatch.childlevel.ssda903.measures import measure_staged_return

    def measure(
        con: duckdb.DuckDBPyConnection,
        current: Return903,
        last: Return903 | None,
        has_postcodes: bool,
        period_end: int,
    ) -> ClaMeasures:
        if "episodes" not in current.arrow:
            raise InputError("an SSDA903 return needs its episodes table to be measured")
        return measure_staged_return(
            con,
            la_code=authority.la_code,
            year=period_end if year is None else year,
            has_previous=last is not None and "episodes" in last.arrow,
            has_postcodes=has_postcodes,
            authority=authority,
            population=population,
            progress=progress,
        )

    report, measured = _validate(
        paths,
        ruleset,
        previous,
        settings,
        period=period,
        postcodes=postcodes,
        keep_child_refs=keep_child_refs,
        rules=rules,
        pseudonymiser=pseudonymiser,
        progress=progress,
        la_code=la_code or authority.la_code,
        providers=providers,
        then=measure,
    )
    return ReturnCheck903(report, measured)
