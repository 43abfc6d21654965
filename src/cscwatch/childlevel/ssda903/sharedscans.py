"""Rules that are conditions on one table's records, run as one scan of that table.

Most SSDA903 rules are written as ``SELECT '<t>' AS tbl, row_no FROM <t> WHERE
<condition>`` (optionally with ``, collection c``, an alias for ``<t>``, and a ``WINDOW w
AS (...) QUALIFY <condition>`` over the records the ``WHERE`` keeps). Planning one such
subquery per rule was most of the rules' time (DuckDB plans each of some 260 subqueries
whatever the data), so :func:`shared_scans` recognises them and runs all the conditions
on one table (and one window) in a single ``SELECT``: one scan, one projection of the
numbers of the rules whose condition holds (``CASE WHEN <condition> THEN k END``), unnested
into ``(k, tbl, row_no)``. A ``CASE WHEN`` keeps a record exactly when the ``WHERE`` (or
``QUALIFY``) would, true and nothing else, so every rule flags the same records.

A rule is only taken this way when its SQL has exactly that shape (checked on its text,
string literals aside): no subquery, join, grouping or set operation, no macro reading
reference tables, and no qualifier but its own table's alias and ``c``. Any other rule
runs as its own subquery, as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

__all__ = ["SharedScan", "shared_scans"]

#: A string literal ('it''s' included).
_LITERAL = re.compile(r"'(?:[^']|'')*'")

#: The shape of a rule run in a shared scan (white space squashed).
_SHAPE = re.compile(
    r"SELECT '(?P<tbl>[a-z_][a-z0-9_]*)' AS tbl, (?:(?P<row_alias>[a-z]\w*)\.)?row_no "
    r"FROM (?P<table>[a-z_][a-z0-9_]*)(?: (?:AS )?(?P<alias>[a-z]\w*))?(?:, collection c)? "
    r"WHERE (?P<where>.+?)"
    r"(?: WINDOW (?P<window>w AS \(PARTITION BY [a-z_]+ "
    r"ORDER BY [a-z_]+(?: NULLS LAST)?(?:, [a-z_]+)*\)) "
    r"QUALIFY (?P<qualify>.+))?",
    re.IGNORECASE | re.DOTALL,
)

#: Words that mean more than a condition on one record (or one window of records): a
#: subquery, a join, grouping, a set operation, a window of its own, a macro reading
#: reference tables; and casts that could fail on records the rule's WHERE never reached.
_BEYOND = re.compile(
    r"\b(select|from|join|union|intersect|except|group|having|order|partition|limit|window|"
    r"qualify|over|pc_miles|pl_la|pl_location|record_return|unnest|cast|strptime)\b|::|;",
    re.IGNORECASE,
)
#: The same in a ``QUALIFY``, where window functions over ``w`` (``lag(x) OVER w``) belong.
_WINDOWED = re.compile(_BEYOND.pattern.replace("|over|", "|"), re.IGNORECASE)
#: ``IS [NOT] DISTINCT FROM``, which is a comparison, not a ``FROM``.
_DISTINCT_FROM = re.compile(r"\bis (?:not )?distinct from\b", re.IGNORECASE)
#: A value of the one row of ``collection`` read by a subquery: ``c.<column>``.
_COLLECTION_VALUE = re.compile(
    r"\(SELECT (collection_start|collection_end|year) FROM collection\)", re.IGNORECASE
)
#: ``name.`` before a column.
_QUALIFIER = re.compile(r"\b([a-z_]\w*)\.(?=[a-z_\"])", re.IGNORECASE)
#: Words that cannot be a table's alias.
_KEYWORDS = {"where", "window", "qualify", "join", "left", "cross", "inner", "natural", "using"}


@dataclass
class SharedScan:
    """The rules run as one ``SELECT`` on ``table``: their numbers and conditions."""

    table: str
    where: str | None
    window: str | None
    conditions: list[tuple[int, str]] = field(default_factory=list)

    def sql(self) -> str:
        """``SELECT k, tbl, row_no`` of every record each rule's condition holds for."""
        cases = ", ".join(f"CASE WHEN {cond} THEN {k} END" for k, cond in self.conditions)
        where = f" WHERE {self.where}" if self.where else ""
        window = f" WINDOW {self.window}" if self.window else ""
        return (
            f"SELECT k, '{self.table}'::VARCHAR AS tbl, row_no::INTEGER AS row_no FROM ("
            f"SELECT row_no, unnest(list_filter([{cases}], lambda x: x IS NOT NULL)) AS k "
            f"FROM {self.table}, collection c{where}{window})"
        )


def _outside_literals(sql: str, change: Callable[[str], str]) -> str:
    # ``change`` applied to the SQL between string literals, the literals kept.
    parts, at = [], 0
    for m in _LITERAL.finditer(sql):
        parts += [change(sql[at : m.start()]), m.group(0)]
        at = m.end()
    return "".join([*parts, change(sql[at:])])


def _blank_literals(sql: str) -> str:
    # The SQL with every string literal blanked (''), for checks on its words.
    return _LITERAL.sub("''", sql)


def _parts(sql: str) -> tuple[str, str | None, str | None, str] | None:
    """(table, where, window, condition) of a rule of the shared shape, else None."""
    text = " ".join(sql.split())
    if _LITERAL.findall(sql) != _LITERAL.findall(text):
        return None  # squashing white space changed a string literal
    m = _SHAPE.fullmatch(text)
    if m is None:
        return None
    tbl, table, alias = str(m["tbl"]), str(m["table"]), m["alias"]
    if tbl != table or (alias is not None and alias.lower() in {*_KEYWORDS, "c"}):
        return None
    if m["row_alias"] is not None and m["row_alias"] != alias:
        return None
    allowed = {"c"} if alias is None else {"c", alias}
    checks = [(str(m["where"]), _BEYOND)]
    if m["qualify"] is not None:
        checks.append((str(m["qualify"]), _WINDOWED))
    read = []
    for part, words in checks:
        part = _outside_literals(part, lambda t: _COLLECTION_VALUE.sub(r"c.\1", t))
        bare = _DISTINCT_FROM.sub("IS DISTINCT TO", _blank_literals(part))
        if words.search(bare) or not set(_QUALIFIER.findall(bare)) <= allowed:
            return None
        if alias is not None:
            unqualified = re.compile(rf"\b{re.escape(alias)}\.(?=[a-z_\"])", re.IGNORECASE)
            part = _outside_literals(part, partial(unqualified.sub, ""))
        read.append(part)
    if m["window"] is None:
        return table, None, None, read[0]
    return table, read[0], str(m["window"]), read[1]


def shared_scans(rules: list[tuple[int, str]]) -> tuple[list[SharedScan], list[tuple[int, str]]]:
    """Split numbered rule SQL into shared scans and the rules that must run alone.

    Parameters
    ----------
    rules : list of (int, str)
        Each rule's number (``k``) and SQL.

    Returns
    -------
    (list of SharedScan, list of (int, str))
        One scan per table (and per ``WHERE`` and window of windowed rules), in the
        order first met, and the rules of any other shape, in their order.
    """
    scans: dict[tuple[str, str | None, str | None], SharedScan] = {}
    alone = []
    for k, sql in rules:
        parts = _parts(sql)
        if parts is None:
            alone.append((k, sql))
            continue
        table, where, window, condition = parts
        scan = scans.setdefault((table, where, window), SharedScan(table, where, window))
        scan.conditions.append((k, condition))
    return list(scans.values()), alone
