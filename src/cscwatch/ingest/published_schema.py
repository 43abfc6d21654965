"""Declared schemas of the published data, checked when a build loads it (pandera).

Every tidy CSV (:data:`~cscwatch.ingest.tidy.TIDY_SOURCES`) and the LAIT file get a
:class:`pandera.pandas.DataFrameSchema` built from their declarations: which columns
are measures, which of them are percentages, which columns place a row (its key).
The schemas run over the file as published (text, so that a publisher's symbol, a
``NaN`` and a number are told apart) and every failure is collected, with its reason
code, before the first is reported as one line naming file, row and column.

Reason codes (the ``check`` of each failure):

``finite``
    ``NaN``, ``inf`` or ``-inf`` where a number belongs.
``non_negative``
    A negative count, rate or amount. LAIT's progress and gap measures
    (:data:`SIGNED_LAIT`) are signed by definition and exempt; the build report counts
    their negative values (22,817 in 44 measures of the bundled file, none of them
    read by the catalogue).
``percentage``
    A percentage outside 0 to 100.
``known_authority``
    An LA number that is not an authority: not in either statistical neighbour model
    nor a predecessor or successor of a reorganisation.
``known_region``
    A regional row whose code is neither an English region (E12) nor inner or outer
    London (E13).
``duplicate_row``
    The same row twice (identical in every column).
``conflicting_rows``
    Two different rows for the same place, period and breakdown.

A build runs these schemas only on a file that the SQL screen of
:mod:`cscwatch.ingest.published_screen` finds suspect (it flags every file a schema
would fail, in one query); a clean file does not pay for a pandas copy of itself.

Measured on the bundled snapshot (``tests/ingest/test_published_schema.py`` keeps it
so): no tidy file breaks any check; LAIT only has the signed negatives above.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pandera.errors as pa_errors
import pandera.pandas as pa

from cscwatch.core.errors import SchemaError
from cscwatch.ingest.published_screen import KNOWN_REGIONS, LAIT_KEY, SIGNED_LAIT

__all__ = [
    "KNOWN_REGIONS",
    "LAIT_KEY",
    "NUMBER",
    "SIGNED_LAIT",
    "SchemaReport",
    "check_frame",
    "lait_schema",
    "tidy_schema",
]

_NONFINITE = frozenset(
    {"nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"}
)

#: Suffix of the column holding a measure's cells as numbers (symbols and blanks
#: null), beside the measure's text as published.
NUMBER = "#number"


def _is_finite(s: pd.Series) -> pd.Series:
    return ~s.astype("string").str.strip().str.lower().isin(_NONFINITE).fillna(False)


def _finite() -> pa.Check:
    return pa.Check(_is_finite, name="finite")


def _nonneg() -> pa.Check:
    return pa.Check(lambda s: s >= 0, name="non_negative")


def _pct() -> pa.Check:
    return pa.Check(lambda s: (s >= 0) & (s <= 100), name="percentage")


def _known_authority(known: frozenset[str]) -> pa.Check:
    def check(s: pd.Series) -> pd.Series:
        text = s.astype("string").str.strip()
        ok = (text.isin(known) | text.isna()).astype(bool)
        # a joint return ("940 / 941") names two authorities
        joint = ~ok & text.str.contains("/", regex=False).fillna(False).astype(bool)
        if joint.any():
            parts = pd.Series(
                [
                    all(p.strip() in known for p in str(v).split("/") if p.strip())
                    for v in text[joint]
                ],
                index=text.index[joint],
                dtype=bool,
            )
            ok = ok.mask(joint, parts.reindex(ok.index, fill_value=True))
        return ok

    return pa.Check(check, name="known_authority")


def _row_checks(key: Sequence[str]) -> list[pa.Check]:
    cols = list(key)

    def no_duplicates(df: pd.DataFrame) -> pd.Series:
        same_key = df.duplicated(subset=cols, keep=False)
        if not same_key.any():  # the usual case: one row per key, so no copies either
            return ~same_key
        body = df.drop(columns="_row", errors="ignore")
        return ~body.duplicated(keep="first")

    def no_conflicts(df: pd.DataFrame) -> pd.Series:
        same_key = df.duplicated(subset=cols, keep=False)
        if not same_key.any():
            return ~same_key
        body = df.drop(columns="_row", errors="ignore")
        exact = body.duplicated(keep=False)
        # the later rows of a key that holds more than one distinct row
        distinct = body[same_key & ~body.duplicated(keep="first")]
        later = distinct.duplicated(subset=cols, keep="first")
        return pd.Series(~df.index.isin(distinct.index[later]), index=df.index) | exact

    return [
        pa.Check(no_duplicates, name="duplicate_row"),
        pa.Check(no_conflicts, name="conflicting_rows"),
    ]


def tidy_schema(
    name: str,
    measures: Sequence[str],
    percent: Collection[str],
    key: Sequence[str],
    known_authorities: Collection[str] | None = None,
) -> pa.DataFrameSchema:
    """The schema of one tidy CSV as published: every column text, and each measure
    also as a number in ``<measure>#number`` (symbols and blanks null).

    Parameters
    ----------
    name : str
        The file (the schema's name in messages).
    measures : sequence of str
        Measure columns: each cell a finite, non-negative number or a symbol.
    percent : collection of str
        Measures that are percentages (0 to 100).
    key : sequence of str
        Columns that place a row (period, geography, breakdown): unique.
    known_authorities : collection of str, optional
        LA numbers that exist; ``None`` leaves ``old_la_code`` unchecked.
    """
    columns: dict[str, pa.Column] = {}
    for m in measures:
        columns[m] = pa.Column(checks=[_finite()], nullable=True)
        columns[m + NUMBER] = pa.Column(
            float, checks=[_nonneg(), *([_pct()] if m in percent else [])], nullable=True
        )
    if known_authorities is not None:
        columns["old_la_code"] = pa.Column(
            checks=[_known_authority(frozenset(known_authorities))], nullable=True
        )
    return pa.DataFrameSchema(
        columns,
        checks=[*_row_checks(key), pa.Check(_known_region, name="known_region")],
        name=name,
        strict=False,
        coerce=False,
    )


def _known_region(df: pd.DataFrame) -> pd.Series:
    if "region_code" not in df.columns or "geographic_level" not in df.columns:
        return pd.Series(True, index=df.index)
    regional = df["geographic_level"].astype("string").str.strip() == "Regional"
    code = df["region_code"].astype("string").str.strip()
    return ~(regional.fillna(False) & ~code.isin(KNOWN_REGIONS).fillna(False))


def lait_schema(
    known_authorities: Collection[str] | None = None,
    *,
    percent_measures: Collection[str] = (),
) -> pa.DataFrameSchema:
    """The schema of the LAIT long file (``Short Desc``, ``Years``, ``LA Number``
    (three digits), ``Values`` as text; ``Values#number`` the value as a number,
    symbols null).

    ``Values`` must be finite; non-negative outside :data:`SIGNED_LAIT`; within 0 to
    100 for ``percent_measures`` (the catalogue's LAIT percentages); ``LA Number`` one of
    ``known_authorities`` (with LAIT's England and region numbers) when given.
    """
    pct = frozenset(percent_measures)

    def non_negative(df: pd.DataFrame) -> pd.Series:
        names = df["Short Desc"].astype("string")
        signed = names.isin({n for n in names.dropna().unique() if SIGNED_LAIT.search(n)})
        return signed.fillna(False) | ~(df["Values" + NUMBER] < 0)

    def percentage(df: pd.DataFrame) -> pd.Series:
        n = df["Values" + NUMBER]
        return ~df["Short Desc"].isin(pct) | ~((n < 0) | (n > 100))

    columns = {
        "Values": pa.Column(checks=[_finite()], nullable=True),
        "Values" + NUMBER: pa.Column(float, nullable=True),
    }
    if known_authorities is not None:
        columns["LA Number"] = pa.Column(
            checks=[_known_authority(frozenset(known_authorities))], nullable=False
        )
    return pa.DataFrameSchema(
        columns,
        checks=[
            pa.Check(non_negative, name="non_negative"),
            pa.Check(percentage, name="percentage"),
            *_row_checks(LAIT_KEY),
        ],
        name="LAIT",
        strict=False,
        coerce=False,
    )


@dataclass(frozen=True)
class SchemaReport:
    """Every failure of one file: (row, column, check) triples, first row first."""

    path: str
    failures: tuple[tuple[int | None, str | None, str], ...]

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.failures

    def error(self) -> SchemaError:
        """The first failure as one error naming file, row and column, with a count of
        the others."""
        row, column, check = self.failures[0]
        more = len(self.failures) - 1
        msg = f"{_REASONS.get(check, check)} (check {check})"
        if more:
            msg += f"; and {more:,} more problem{'s' if more > 1 else ''}"
        return SchemaError(msg, path=self.path, row=row, column=column)


_REASONS = {
    "finite": "not a finite number (NaN or infinity)",
    "non_negative": "negative value",
    "percentage": "percentage outside 0 to 100",
    "known_authority": "not a known LA number",
    "known_region": "not a region code",
    "duplicate_row": "the same row twice",
    "conflicting_rows": "another row has the same place, period and breakdown",
}


def check_frame(
    schema: pa.DataFrameSchema,
    frame: pd.DataFrame,
    path: Path | str,
    columns: Mapping[str, str] | None = None,
) -> SchemaReport:
    """Run ``schema`` over ``frame`` (indexed by the file's row number), collecting
    every failure.

    ``columns`` names the column a row-wide check is about (LAIT's ``non_negative``
    and ``percentage`` are about ``Values``); other row-wide checks name no column.

    Returns
    -------
    SchemaReport
        Raise its :meth:`~SchemaReport.error` when not ``ok``.
    """
    try:
        schema.validate(frame, lazy=True)
    except pa_errors.SchemaErrors as exc:
        return SchemaReport(str(path), _failures(exc.failure_cases, columns or {}))
    return SchemaReport(str(path), ())


def _failures(
    cases: pd.DataFrame, columns: Mapping[str, str]
) -> tuple[tuple[int | None, str | None, str], ...]:
    found: set[tuple[int | None, str | None, str]] = set()
    for rec in cases.to_dict("records"):
        row = _int_or_none(rec.get("index"))
        check = str(rec.get("check") or "schema")
        column = rec.get("column")
        if rec.get("schema_context") == "DataFrameSchema":
            # a check over whole rows: one failure per row, at its declared column
            column = columns.get(check)
        if isinstance(column, str):
            column = column.removesuffix(NUMBER)
        found.add((row, column if isinstance(column, str) else None, check))
    return tuple(sorted(found, key=lambda t: (t[0] is None, t[0] or 0, t[1] or "", t[2])))


def _int_or_none(value: Any) -> int | None:
    try:
        return None if value is None or pd.isna(value) else int(value)
    except (TypeError, ValueError):
        return None
