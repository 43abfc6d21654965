"""A screen in SQL for the declared schemas of the published data.

The schemas of :mod:`cscwatch.ingest.published_schema` (pandera) run over a pandas copy
of each staged file; over the LAIT file's 641,070 rows and the tidy files that cost a
build about 2.5 s of CPU (and pandas and pandera's import), for files that, as
published, pass. A build therefore asks this screen first, in one query per file over
the staged table: is there any row the schema could fail? Only when there is does the
schema run, so a bad file is reported exactly as before (every failure collected, the
first named by file, row and column).

Each condition below is at least as strict as the schema's check of the same reason
code (never stricter in the other direction), so "nothing suspect" implies "the schema
passes":

``finite``
    any cell containing ``nan`` or ``inf`` in any case (the schema: the trimmed,
    lower-cased text is one of NaN or the infinities);
``non_negative``, ``percentage``
    the same number the schema reads (``<measure>#number``) below 0 or above 100
    (for LAIT, the measures holding such a number, checked against
    :data:`SIGNED_LAIT` and the percentages in Python as the schema does);
``known_authority``, ``known_region``
    each distinct LA number (and region code of a row whose level contains
    ``Regional``) checked in Python exactly as the schema checks it;
``duplicate_row``, ``conflicting_rows``
    fewer distinct hashes of the key than rows (the schema's checks fail only when two
    rows share a key, which always shares its hash).

``tests/ingest/test_published_screen.py`` checks the screen flags every row built to
break a reason code, and that the bundled snapshot passes it.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

import duckdb

__all__ = ["KNOWN_REGIONS", "LAIT_KEY", "SIGNED_LAIT", "lait_suspect", "number_sql", "tidy_suspect"]

#: LAIT measures signed by definition: value-added and Progress 8 scores, and gaps
#: between groups. Measured: every negative value of the bundled LAIT file is in one
#: of these (44 measures).
SIGNED_LAIT = re.compile(r"Prog|Progress|_VA$|Gap$")

#: Region codes of the tidy files' regional rows: the nine English regions and inner
#: and outer London.
KNOWN_REGIONS = frozenset({f"E1200000{k}" for k in range(1, 10)} | {"E13000001", "E13000002"})

#: The columns that identify a LAIT row.
LAIT_KEY = ("Short Desc", "Years", "LA Number")


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def number_sql(cell: str) -> str:
    """A cell as the schema reads it as a number: NULL for a symbol, a blank, NaN or
    infinity (which ``finite`` reports from the text)."""
    number = f"TRY_CAST(trim({cell}) AS DOUBLE)"
    return f"CASE WHEN isfinite({number}) THEN {number} END"


def _nonfinite(cell: str) -> str:
    low = f"lower({cell})"
    return f"({low} LIKE '%nan%' OR {low} LIKE '%inf%')"


def _known(value: str | None, known: Collection[str]) -> bool:
    """The schema's ``known_authority`` for one LA number (``None``: no number)."""
    if value is None:
        return True
    text = value.strip()
    if text in known:
        return True
    return "/" in text and all(p.strip() in known for p in text.split("/") if p.strip())


def _strings(values: object) -> list[str | None]:
    return [None if v is None else str(v) for v in values] if isinstance(values, list) else []


def tidy_suspect(
    con: duckdb.DuckDBPyConnection,
    table: str,
    measures: Sequence[str],
    percent: Collection[str],
    key: Sequence[str],
    known_authorities: Collection[str] | None = None,
) -> bool:
    """Whether a staged tidy file (text columns) has a row its schema
    (:func:`~cscwatch.ingest.published_schema.tidy_schema`) could fail.

    ``False`` means the schema passes; ``True`` that it must run to say. One pass over
    the table: its cells, its distinct LA numbers and regional codes (checked here as
    the schema checks them) and a count of its distinct keys.
    """
    conditions: list[str] = []
    for m in measures:
        number = number_sql(_q(m))
        conditions.append(_nonfinite(_q(m)))
        conditions.append(f"{number} < 0")
        if m in percent:
            conditions.append(f"{number} > 100")
    any_row = " OR ".join(f"coalesce({c}, false)" for c in conditions) or "false"
    keys = ", ".join(_q(c) for c in key)
    found = con.execute(
        f"""SELECT coalesce(bool_or({any_row}), false), count(*),
                   count(DISTINCT hash({keys})), list(DISTINCT old_la_code),
                   list(DISTINCT region_code) FILTER (WHERE contains(geographic_level, 'Regional'))
            FROM {table}"""
    ).fetchone()
    assert found is not None  # an aggregate always returns one row
    bad_cell, rows, distinct_keys, codes, regions = found
    if bad_cell or distinct_keys < rows:
        return True
    if known_authorities is not None:
        known = frozenset(known_authorities)
        if not all(_known(c, known) for c in _strings(codes)):
            return True
    return any(r is None or r.strip() not in KNOWN_REGIONS for r in _strings(regions))


def lait_suspect(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    params: list[object],
    key: Sequence[str],
    known_authorities: Collection[str] | None,
    percent_measures: Collection[str],
) -> bool:
    """Whether the LAIT rows of ``relation`` (``Short Desc``, ``Years``, ``LA Number``,
    ``Values`` as text) hold one its schema
    (:func:`~cscwatch.ingest.published_schema.lait_schema`) could fail.

    ``False`` means the schema passes; ``True`` that it must run to say. One pass over
    the rows: the measures with a negative value or a value over 100 and the distinct
    LA numbers (checked here as the schema checks them), and a count of distinct keys.
    """
    values, desc, la = _q("Values"), _q("Short Desc"), _q("LA Number")
    number = number_sql(values)
    keys = ", ".join(_q(c) for c in key)
    found = con.execute(
        f"""SELECT coalesce(bool_or({_nonfinite(values)}), false), count(*),
                   count(DISTINCT hash({keys})), list(DISTINCT {la}),
                   list(DISTINCT {desc}) FILTER (WHERE {number} < 0),
                   list(DISTINCT {desc}) FILTER (WHERE {number} > 100)
            FROM {relation}""",
        params,
    ).fetchone()
    assert found is not None  # an aggregate always returns one row
    bad_cell, rows, distinct_keys, codes, negative, over_100 = found
    if bad_cell or distinct_keys < rows:
        return True
    numbers = _strings(codes)
    if None in numbers:
        return True  # the LA number may not be missing
    if known_authorities is not None:
        known = frozenset(known_authorities)
        if not all(_known(c, known) for c in numbers):
            return True
    pct = frozenset(percent_measures)
    if any(d is None or not SIGNED_LAIT.search(d) or d in pct for d in _strings(negative)):
        return True
    return any(d in pct for d in _strings(over_100))
