"""Read an SSDA903 return (the CSV set or the XML export), pseudonymised as it is read.

**CSV set.** Each file is matched to a table of :mod:`.tables` by its header row (the set
of field names, in any order and case), never by its file name. Files are UTF-8 (with or
without a byte-order mark) or UTF-16/UTF-32 with a byte-order mark. ``row_no`` is the
line of the file on which the record starts (the header is line 1).

**XML export** (``<EXPSSDA903><CHILD><HEADER>...</HEADER><EPISODE>...</EPISODE>...``).
Each ``<CHILD>`` holds one ``<HEADER>`` whose leaf elements are the child's header
fields (``CHILDID`` is ``CHILD``), the UASC fields (``UASC``, ``DUC``), the care
leaver's (OC3: ``IN_TOUCH``, ``ACTIV``, ``ACCOM``) and adoption fields (AD1:
``DATE_INT`` ...), and record elements, one per record of a table: ``EPISODE``
(``PL`` is ``PLACE``), ``AREVIEW`` (reviews), ``AMISSING`` (missing), ``OC2``,
``PERMANENCE`` (previous permanence), ``AD_PLACED`` (placed for adoption). A record
element may sit in ``<CHILD>`` or its ``<HEADER>``; one with another name (social worker
episodes, DoLo) is identified by its fields, as CSV files are, when they belong to
exactly one table. ``CHILD`` and ``DOB`` come from the header (unless the record
element carries its own). A UASC record is made
when ``DUC`` is given or the ``UASC`` flag is given and not ``0``; an OC3 or AD1 record
when any of its fields is given. ``row_no`` for XML is a position the user can find:
for ``header``, ``uasc``, ``oc3`` and ``ad1`` the child's position (the n-th
``<CHILD>`` of the file, from 1); for any other table the record's position among the
file's elements of its kind (the n-th ``<EPISODE>``: XPath ``(//EPISODE)[n]``).
The file is refused before parsing when it declares a DOCTYPE or ENTITY, read in the
encoding an XML parser would use (:mod:`cscwatch.childlevel.xmlsafe`, shared with the
CIN census reader); unknown elements are refused, naming the line and element.

Beside DfE's fields the header gets two derived columns (the reader derives them on its
Arrow tables; :func:`derive_columns` does the same on pandas frames built elsewhere):
``UASC``, the child's UASC status (the XML header's ``<UASC>`` as given; for a CSV set,
which has no such field, ``1`` when the child has a UASC record, else ``0``), and
``UPN_SHAPE`` (``ok`` or ``bad``: whether the UPN had a UPN's shape or was a code UN1 to
UN5), taken before the UPN is pseudonymised so that rule 168 can run without it.

Values are kept as text (dates are parsed when staged), sex codes as given (old ``1``/``2``
and current ``M``/``F``/``U``: rules see the raw code; measures use
:func:`~.tables.normalise_sex`). ``CHILD`` and ``UPN`` are replaced by their keyed
pseudonyms (the CIN census's key, so a child links across both returns) before the tables
are handed on; the raw ``CHILD`` of each pseudonym is kept in memory only, for an
authority's own report (``--show-la-child-id``), and never stored.

Synthetic returns: a return whose every file sits in a directory holding a file named
``CSCWATCH_SYNTHETIC`` that contains ``cscwatch-synthetic`` (written by ``cscwatch cla
synth``) may be read with the public demo key when no key is configured, as a CIN census
file carrying the marker may.
"""

from __future__ import annotations

import csv
import gc
import io
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from cscwatch.childlevel.pseudonym import SYNTHETIC_MARKER, Pseudonymiser, resolve_pseudonymiser
from cscwatch.childlevel.ssda903.tables import TABLES
from cscwatch.childlevel.xmlsafe import (
    SAFE_PARSE_OPTIONS,
    refuse_hostile_xml,
    refuse_parsed_doctype,
)
from cscwatch.core.arrow import int_array, text_array, text_scalar, whole
from cscwatch.core.config import Settings
from cscwatch.core.errors import SourceFileError
from cscwatch.core.files import read_input_bytes

if TYPE_CHECKING:
    import pandas as pd
    from lxml import etree

__all__ = [
    "SYNTHETIC_FILE",
    "Return903",
    "derive_columns",
    "identify_table",
    "is_synthetic",
    "read_return",
    "return_files",
]

#: The marker file of a synthetic return's directory (its content: ``cscwatch-synthetic``).
SYNTHETIC_FILE = "CSCWATCH_SYNTHETIC"

_BY_COLUMNS = {frozenset(spec.fields): name for name, spec in TABLES.items()}
_KIND = "an SSDA903 return"


@dataclass(frozen=True)
class Return903:
    """One return as read: text tables keyed by table name.

    Attributes
    ----------
    arrow : dict of str to pyarrow.Table
        DfE field names (text) plus ``row_no`` (int64); ``CHILD`` and ``UPN``
        pseudonymised. The tables as read: validation stages them as they are.
    files : dict of str to Path
        The file each table came from.
    child_refs : dict of str to str
        Pseudonym to the authority's own ``CHILD`` (memory only, never stored).
    synthetic : bool
        Every file carries the synthetic marker (:data:`SYNTHETIC_FILE`).
    demo_key : bool
        The pseudonyms were made with the public demo key (a synthetic return read
        without a configured key).
    source_format : str
        ``csv`` or ``xml``.
    """

    arrow: dict[str, pa.Table]
    files: dict[str, Path]
    child_refs: dict[str, str] = field(default_factory=dict, repr=False)
    synthetic: bool = False
    demo_key: bool = False
    source_format: str = "csv"

    @cached_property
    def tables(self) -> dict[str, pd.DataFrame]:
        """:attr:`arrow` as pandas frames (text as ``object``, a blank as None), made on
        first use: validation does not need them."""
        return {name: _frame(t) for name, t in self.arrow.items()}

    @property
    def children(self) -> int:
        """Children in the header table (0 when no header was given)."""
        import pyarrow.compute as pc

        header = self.arrow.get("header")
        if header is None:
            return 0
        return int(pc.count_distinct(header.column("CHILD"), mode="only_valid").as_py())


def _frame(table: pa.Table) -> pd.DataFrame:
    # A text table as the pandas frame readers before Arrow gave: object columns.
    import pandas as pd

    data: dict[str, pd.Series] = {}
    for name in table.column_names:
        column = table.column(name)
        if name == "row_no":
            data[name] = pd.Series(column.to_numpy(), dtype="int64")
        else:
            data[name] = pd.Series(column.to_pylist(), dtype=object)
    return pd.DataFrame(data, columns=table.column_names)


def return_files(paths: Sequence[Path | str]) -> list[Path]:
    """The files of a return: each path given, a directory standing for its CSV and XML files.

    Raises
    ------
    SourceFileError
        A path does not exist, or a directory holds no CSV or XML file.
    """
    out: list[Path] = []
    for given in paths:
        p = Path(given)
        if p.is_dir():
            found = sorted(
                f for f in p.iterdir() if f.is_file() and f.suffix.lower() in (".csv", ".xml")
            )
            if not found:
                raise SourceFileError("the directory holds no .csv or .xml file", path=str(p))
            out.extend(found)
        elif p.exists():
            out.append(p)
        else:
            raise SourceFileError("no such file or directory", path=str(p))
    return out


def is_synthetic(paths: Sequence[Path | str]) -> bool:
    """True when every file's directory holds :data:`SYNTHETIC_FILE` with the marker."""
    files = return_files(paths)
    if not files:
        return False
    for d in {f.resolve().parent for f in files}:
        marker = d / SYNTHETIC_FILE
        try:
            if marker.read_text(encoding="utf-8").strip() != SYNTHETIC_MARKER:
                return False
        except (OSError, UnicodeDecodeError):
            return False
    return True


def identify_table(columns: Sequence[str], path: Path) -> str:
    """The table whose fields are exactly ``columns`` (case and blanks ignored)."""
    names = frozenset(c.strip().lstrip("\ufeff").upper() for c in columns)
    table = _BY_COLUMNS.get(names)
    if table is None:
        raise SourceFileError(
            "columns match no SSDA903 table (expected the fields of one of: "
            + ", ".join(TABLES)
            + ")",
            path=str(path),
            row=1,
        )
    return table


# --- CSV ------------------------------------------------------------------------------

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xff\xfe", "utf-16-le"),
)


def _decode(data: bytes, path: Path) -> str:
    # UTF-8 unless a byte-order mark says UTF-16 or UTF-32; a byte that is not text is
    # named by line and by the field (of the header) it falls in.
    bom, encoding = next(((b, e) for b, e in _BOMS if data.startswith(b)), (b"", "utf-8"))
    try:
        return data[len(bom) :].decode(encoding)
    except UnicodeDecodeError as exc:
        body = data[len(bom) :]
        line = body.count(b"\n", 0, exc.start) + 1
        column: str | None = None
        if encoding == "utf-8":
            start = body.rfind(b"\n", 0, exc.start) + 1
            header = body.split(b"\n", 1)[0].decode("utf-8", "replace").split(",")
            index = body[start : exc.start].count(b",")
            column = header[index].strip() if index < len(header) else None
        raise SourceFileError(
            f"not {encoding.upper()} text (byte 0x{body[exc.start]:02x}); save the file as UTF-8",
            path=str(path),
            row=line,
            column=column,
        ) from None


_BLANK_LINE = re.compile(r"^[,\s]*$", re.MULTILINE)
#: Where a blank line could start: only a line opening with a comma or white space can be
#: one (a search for this, a literal new line first, is ten times cheaper than the above).
_BLANK_START = re.compile(r"\n[,\s]")


def _has_blank_line(body: str) -> bool:
    # _BLANK_LINE.search(body) on a body not ending in a new line; searched only where
    # _BLANK_START (or the body's first character) says a blank line may start.
    maybe = body[:1] in (",", "") or body[:1].isspace() or _BLANK_START.search(body)
    return bool(maybe) and _BLANK_LINE.search(body) is not None


def _unquoted(text: str, header: list[str]) -> pa.Table | None:
    # Fast path for the common file, no quoting and no blank line: a record is a line,
    # so its line number is its position + 2; Arrow's CSV reader parses it into text
    # columns named as the header. None otherwise, or when a line's width is wrong (the
    # csv module then reads the file, naming the row of any error).
    import pyarrow.csv as pcsv

    body = text[text.find("\n") + 1 :].rstrip("\r\n") if "\n" in text else ""
    if '"' in text or not body or _has_blank_line(body):
        return None
    names = [f"c{i}" for i in range(len(header))]
    try:
        table = pcsv.read_csv(
            io.BytesIO(body.encode("utf-8")),
            read_options=pcsv.ReadOptions(column_names=names),
            parse_options=pcsv.ParseOptions(newlines_in_values=False),
            convert_options=pcsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid:
        return None
    if table.num_rows != body.count("\n") + 1:
        return None
    return table.rename_columns(header)


def _lines(text: str) -> Iterator[str]:
    # The lines io.StringIO(text, newline="") gives (each ending in \n, \r\n or \r, the
    # last perhaps in none), the rest of the text copied into one only if more than the
    # first line is read: the header alone is read from a file Arrow parses, and a
    # StringIO of a whole 4 MB file cost 0.06 s (it holds four bytes a character).
    ends = [i for i in (text.find("\r"), text.find("\n")) if i >= 0]
    if not ends:
        yield from (text,) if text else ()
        return
    end = min(ends) + 1
    if text[end - 1] == "\r" and text[end : end + 1] == "\n":
        end += 1
    yield text[:end]
    if end < len(text):
        yield from io.StringIO(text[end:], newline="")


def _read_csv(path: Path) -> tuple[str, pa.Table]:
    text = _decode(read_input_bytes(path), path)
    reader = csv.reader(_lines(text))
    try:
        first = next(reader, None)
        if first is None:
            raise SourceFileError("empty file: no header row", path=str(path), row=1)
        header = [c.strip().lstrip("\ufeff").upper() for c in first]
        doubled = sorted({c for c in header if header.count(c) > 1})
        if doubled:
            raise SourceFileError(
                "the header names this field twice", path=str(path), row=1, column=doubled[0]
            )
        table = identify_table(header, path)
        width = len(header)
        fast = _unquoted(text, header) if reader.line_num == 1 else None
        if fast is not None:
            starts = int_array(range(2, fast.num_rows + 2))
            columns = {name: fast.column(name) for name in header}
        else:
            rows: list[list[str]] = []
            lines: list[int] = []
            line = reader.line_num + 1
            for row in reader:
                start, line = line, reader.line_num + 1
                if len(row) != width or not "".join(row).strip():
                    if not "".join(row).strip():
                        continue  # a blank line, or one of commas only
                    missing = header[len(row)] if len(row) < width else None
                    raise SourceFileError(
                        f"{len(row)} values where the header has {width}",
                        path=str(path),
                        row=start,
                        column=missing,
                    )
                lines.append(start)
                rows.append(row)
            starts = int_array(lines)
            values = list(zip(*rows, strict=True)) if rows else [()] * width
            columns = {name: text_array(v) for name, v in zip(header, values, strict=True)}
    except csv.Error as exc:
        raise SourceFileError(
            f"not a well-formed CSV file ({exc})", path=str(path), row=reader.line_num
        ) from None
    fields = TABLES[table].fields
    return table, pa.table([starts, *(columns[f] for f in fields)], names=["row_no", *fields])


# --- XML ------------------------------------------------------------------------------

#: Record elements and their tables.
_ELEMENTS = {
    "EPISODE": "episodes",
    "AREVIEW": "reviews",
    "AMISSING": "missing",
    "OC2": "oc2",
    "PERMANENCE": "previous_permanence",
    "AD_PLACED": "placed_for_adoption",
}
#: XML element names that differ from DfE's CSV field names.
_RENAMES = {"CHILDID": "CHILD", "PL": "PLACE"}
#: Tables whose fields sit directly in ``<HEADER>`` (beside the header's own).
_HEADER_TABLES = ("header", "uasc", "oc3", "ad1")
_FROM_HEADER = ("CHILD", "DOB")
_HEADER_LEAVES = frozenset({"UASC"} | {f for t in _HEADER_TABLES for f in TABLES[t].fields})


def _local(tag: object) -> str:
    # Element name without namespace, upper case ("" for comments and PIs).
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].upper()


def _text(el: etree._Element) -> str | None:
    t = el.text
    if t is None:
        return None
    t = t.strip()
    return t or None


def _table_by_fields(leaves: set[str]) -> str | None:
    # The one record table (not a header table) holding every leaf field given.
    own = leaves - set(_FROM_HEADER)
    if not own:
        return None
    hits = [
        name
        for name, spec in TABLES.items()
        if name not in _HEADER_TABLES and own <= set(spec.fields)
    ]
    return hits[0] if len(hits) == 1 else None


class _XmlBuilder:
    """Rows per table, built one ``<CHILD>`` at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows: dict[str, list[list[object]]] = {name: [] for name in TABLES}
        self.children = 0

    def _leaves(self, el: etree._Element, table: str) -> dict[str, str | None]:
        fields = TABLES[table].fields
        out: dict[str, str | None] = {}
        for leaf in el:
            name = _local(leaf.tag)
            if not name:
                continue
            name = _RENAMES.get(name, name)
            if len(leaf) or name not in fields:
                raise self._unknown(leaf, f"<{_local(el.tag)}>")
            out[name] = _text(leaf)
        return out

    def _unknown(self, el: etree._Element, where: str) -> SourceFileError:
        return SourceFileError(
            f"<{_local(el.tag)}> in {where} is not an SSDA903 field or record this reader knows",
            path=str(self.path),
            row=el.sourceline,
            column=_local(el.tag),
        )

    def _record_table(self, el: etree._Element) -> str:
        name = _local(el.tag)
        if name in _ELEMENTS:
            return _ELEMENTS[name]
        leaves = {_RENAMES.get(_local(c.tag), _local(c.tag)) for c in el if _local(c.tag)}
        table = _table_by_fields(leaves)
        if table is None:
            raise self._unknown(el, "<CHILD>")
        return table

    def add_child(self, child: etree._Element) -> None:
        self.children += 1
        n = self.children
        header_el = None
        records: list[etree._Element] = []
        for el in child:
            name = _local(el.tag)
            if not name:
                continue
            if name == "HEADER":
                if header_el is not None:
                    raise SourceFileError(
                        "a <CHILD> with two <HEADER> elements",
                        path=str(self.path),
                        row=el.sourceline,
                        column="HEADER",
                    )
                header_el = el
            elif len(el):
                records.append(el)
            else:
                raise self._unknown(el, "<CHILD>")
        if header_el is None:
            raise SourceFileError(
                "a <CHILD> without <HEADER>",
                path=str(self.path),
                row=child.sourceline,
                column="CHILD",
            )
        values: dict[str, str | None] = {}
        for el in header_el:
            name = _local(el.tag)
            if not name:
                continue
            if len(el):
                records.append(el)
                continue
            name = _RENAMES.get(name, name)
            if name not in _HEADER_LEAVES:
                raise self._unknown(el, "<HEADER>")
            values[name] = _text(el)
        self._header_rows(n, values)
        ident = {f: values.get(f) for f in _FROM_HEADER}
        for el in records:
            table = self._record_table(el)
            own = self._leaves(el, table)
            row_no = len(self.rows[table]) + 1
            merged = {**ident, **own}
            self.rows[table].append([row_no, *(merged.get(f) for f in TABLES[table].staged)])

    def _header_rows(self, n: int, values: dict[str, str | None]) -> None:
        def row(table: str) -> list[object]:
            return [n, *(values.get(f) for f in TABLES[table].staged)]

        self.rows["header"].append(row("header"))
        uasc = values.get("UASC")
        if values.get("DUC") is not None or (uasc is not None and uasc != "0"):
            self.rows["uasc"].append(row("uasc"))
        for table in ("oc3", "ad1"):
            own = [f for f in TABLES[table].fields if f not in _FROM_HEADER]
            if any(values.get(f) is not None for f in own):
                self.rows[table].append(row(table))

    def frames(self) -> dict[str, pa.Table]:
        out = {}
        for table, rows in self.rows.items():
            if table in ("sw_episodes", "dolo") and not rows:
                continue  # the export format of these is not settled: absent, not empty
            names = ["row_no", *TABLES[table].staged]
            values = list(zip(*rows, strict=True)) if rows else [()] * len(names)
            arrays = [int_array(values[0]), *(text_array(v) for v in values[1:])]
            out[table] = pa.table(arrays, names=names)
        return out


def _read_xml(path: Path) -> dict[str, pa.Table]:
    from lxml import etree  # here, not at the top: a CSV return needs no XML parser

    data = read_input_bytes(path)
    refuse_hostile_xml(data, path, kind=_KIND)
    if data[:4] in (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"):
        data = data[4:]  # libxml2 misreads a UTF-32 mark; it finds UTF-32 from the bytes
    builder = _XmlBuilder(path)
    context = etree.iterparse(
        io.BytesIO(data),
        events=("end",),
        tag="{*}CHILD",
        **SAFE_PARSE_OPTIONS,
    )
    checked = False
    was = gc.isenabled()
    gc.disable()  # many small lists and no cycles: the collector would only rescan them
    try:
        for _event, el in context:
            if not checked:
                refuse_parsed_doctype(el, path, kind=_KIND)
                checked = True
            parent = el.getparent()
            if parent is None or _local(parent.tag) != "EXPSSDA903":
                raise SourceFileError(
                    "not an SSDA903 export: <CHILD> is not inside <EXPSSDA903>",
                    path=str(path),
                    row=el.sourceline,
                    column="CHILD",
                )
            builder.add_child(el)
            el.clear()
            while el.getprevious() is not None:
                del parent[0]
    except etree.XMLSyntaxError as exc:
        msg = (exc.msg or "malformed XML").split(", line ")[0]
        raise SourceFileError(f"malformed XML: {msg}", path=str(path), row=exc.lineno) from None
    finally:
        if was:
            gc.enable()
    root = context.root
    if root is None or _local(root.tag) != "EXPSSDA903":
        raise SourceFileError(
            "not an SSDA903 export: the root element is not <EXPSSDA903>", path=str(path)
        )
    return builder.frames()


# --- the return -----------------------------------------------------------------------


#: A UPN's shape (DfE's SSDA903 guide, rule 168): a capital letter other than I, O and S,
#: then 12 digits or 11 digits and a capital letter; or a code UN1 to UN5 for a child
#: without one. No check letter is computed (the rule does not ask for one).
_UPN_SHAPE = re.compile(r"[A-HJ-NP-RT-Z](\d{12}|\d{11}[A-Z])|UN[1-5]")


def _upn_shape(value: object) -> str | None:
    # "ok" or "bad" for a UPN as given (case and surrounding blanks ignored); None blank.
    if not isinstance(value, str) or not value.strip():
        return None
    return "ok" if _UPN_SHAPE.fullmatch(value.strip().upper()) else "bad"


def _uasc_flags(children: Sequence[object], known: set[str] | None) -> list[str | None]:
    # A CSV set's UASC status of each header CHILD: 1 when it has a UASC record (``known``
    # holds their CHILD, blanks trimmed), else 0; blank for all when no UASC table.
    if known is None:
        return [None] * len(children)
    return ["1" if isinstance(v, str) and v.strip() in known else "0" for v in children]


def _uasc_children(values: Sequence[object]) -> set[str]:
    return {v.strip() for v in values if isinstance(v, str)}


def derive_columns(tables: dict[str, pd.DataFrame], source_format: str) -> None:
    """Add the header's derived columns (:attr:`.tables.TableSpec.derived`), in place.

    ``UPN_SHAPE`` is taken from the raw UPN, so call this before pseudonymising.
    ``UASC`` is the XML export's own header field (kept as read); for a CSV set, which
    has no such field, it is ``1`` for a child with a UASC record and ``0`` for one
    without, as the open validator reads it (blank when no UASC table was given).
    (The reader does the same on its Arrow tables, with the same helpers; this form is
    for frames built outside the reader, such as the rule kit's test returns.)

    Parameters
    ----------
    tables : dict of str to DataFrame
        The return's tables as read (raw identifiers).
    source_format : str
        ``csv`` or ``xml``.
    """
    import pandas as pd

    header = tables.get("header")
    if header is None:
        return
    if source_format == "csv":
        uasc = tables.get("uasc")
        known = None if uasc is None else _uasc_children(uasc["CHILD"].tolist())
        flags = _uasc_flags(header["CHILD"].tolist(), known)
        header["UASC"] = pd.Series(flags, index=header.index, dtype=object)
    header["UPN_SHAPE"] = pd.Series(
        [_upn_shape(v) for v in header["UPN"].tolist()], index=header.index, dtype=object
    )


def _put(table: pa.Table, name: str, column: pa.Array | pa.ChunkedArray) -> pa.Table:
    # The column replaced where it is, or added at the end (as pandas assigns a column).
    if name in table.column_names:
        return table.set_column(table.column_names.index(name), name, column)
    return table.append_column(name, column)


def _by_distinct(
    column: pa.ChunkedArray, make: Callable[[list[str]], list[str | None]]
) -> tuple[pa.Array, list[str]]:
    # ``make`` applied once per distinct text of ``column``, spread back to every row
    # (a null stays null); also the distinct texts, in order of first appearance.
    coded = whole(column).dictionary_encode()
    distinct: list[str] = coded.dictionary.to_pylist()
    return text_array(make(distinct)).take(coded.indices), distinct


def _derive_arrow(tables: dict[str, pa.Table], source_format: str) -> None:
    # derive_columns on the reader's Arrow tables (replaced in ``tables``).
    import pyarrow.compute as pc

    header = tables.get("header")
    if header is None:
        return
    if source_format == "csv":
        uasc = tables.get("uasc")
        if uasc is None:
            flags = pa.nulls(header.num_rows, pa.string())
        else:
            known = _uasc_children(pc.unique(uasc.column("CHILD")).to_pylist())
            made, _ = _by_distinct(header.column("CHILD"), lambda d: _uasc_flags(d, known))
            flags = pc.fill_null(made, text_scalar("0"))  # a header without CHILD: no UASC record
        header = _put(header, "UASC", flags)
    shapes, _ = _by_distinct(header.column("UPN"), lambda d: [_upn_shape(v) for v in d])
    tables["header"] = _put(header, "UPN_SHAPE", shapes)


#: DfE's reason codes for a child without a UPN (SSDA903 guide: UN1 to UN5; UN6 and
#: UN7 are the CIN census's and kept too, as a return may carry them by mistake).
UPN_REASONS = frozenset({"UN1", "UN2", "UN3", "UN4", "UN5", "UN6", "UN7"})


def _pseudonymise(tables: dict[str, pa.Table], pseudonymiser: Pseudonymiser) -> dict[str, str]:
    # CHILD and UPN replaced by their pseudonyms (the tables replaced in ``tables``);
    # each distinct value hashed once (a child appears in many tables and rows), the
    # pseudonyms spread back to the rows by Arrow. Returns pseudonym -> raw CHILD.
    import pyarrow.compute as pc

    def upn_pseudonyms(distinct: list[str]) -> list[str | None]:
        hashed = dict(zip(distinct, pseudonymiser.many(distinct, upper=True), strict=True))
        # A reason code for a missing UPN (UN1 ... UN5) identifies nobody: it is kept,
        # so rules on the reason (and on children sharing a UPN) read it as DfE means.
        hashed.update(
            {v: v.strip().upper() for v in distinct if v and v.strip().upper() in UPN_REASONS}
        )
        return [hashed[v] for v in distinct]

    # Every table's CHILD values, distinct, in order of first appearance (table by table;
    # one array: unique over a chunked array is ten times slower).
    columns = [whole(t.column("CHILD")) for t in tables.values()]
    raw = pc.unique(pa.concat_arrays(columns) if columns else text_array([])).drop_null()
    children: list[str] = raw.to_pylist()
    hashed = pseudonymiser.many(children)
    pseudonyms = text_array(hashed)
    for name, table in tables.items():
        where = pc.index_in(whole(table.column("CHILD")), value_set=raw)
        table = _put(table, "CHILD", pseudonyms.take(where))
        if "UPN" in table.column_names:
            upns, _ = _by_distinct(table.column("UPN"), upn_pseudonyms)
            table = _put(table, "UPN", upns)
        tables[name] = table
    return {h: r.strip() for r, h in zip(children, hashed, strict=True) if h and r}


def read_return(
    paths: Sequence[Path | str],
    *,
    pseudonymiser: Pseudonymiser | None = None,
    settings: Settings | None = None,
) -> Return903:
    """Read one return (its CSV files or one XML export), pseudonymising ``CHILD`` and ``UPN``.

    Parameters
    ----------
    paths : sequence of Path
        The return's CSV files (any order, any names) or its XML export; a directory
        stands for the ``.csv`` and ``.xml`` files in it.
    pseudonymiser : Pseudonymiser, optional
        The keyed hash shared with the CIN census (so a child links across returns).
        By default the key configured in ``settings`` (the public demo key only for a
        return marked synthetic, see :func:`is_synthetic`).
    settings : Settings, optional
        Supplies the key when no ``pseudonymiser`` is given.

    Raises
    ------
    SourceFileError
        A file cannot be read, is malformed (naming the row and column), matches no
        table, is hostile XML; two files hold the same table; CSV and XML are mixed.
    ConfigError
        No pseudonym key is configured and the return is not marked synthetic.
    """
    files = return_files(paths)
    xml = [f for f in files if f.suffix.lower() == ".xml"]
    if xml and len(files) > 1:
        raise SourceFileError(
            "an XML export holds the whole return: give it alone (not with other files)",
            path=str(xml[0]),
        )
    synthetic = is_synthetic(files)
    if pseudonymiser is None:
        pseudonymiser = resolve_pseudonymiser(settings or Settings(), synthetic=synthetic)
    tables: dict[str, pa.Table] = {}
    where: dict[str, Path] = {}
    if xml:
        tables = _read_xml(xml[0])
        where = dict.fromkeys(tables, xml[0])
    else:
        for path in files:
            table, frame = _read_csv(path)
            if table in tables:
                raise SourceFileError(
                    f"holds the {table} table, as {where[table]} does: give one file per table",
                    path=str(path),
                )
            tables[table] = frame
            where[table] = path
    _derive_arrow(tables, "xml" if xml else "csv")
    refs = _pseudonymise(tables, pseudonymiser)
    return Return903(
        tables,
        where,
        refs,
        synthetic=synthetic,
        demo_key=pseudonymiser.demo,
        source_format="xml" if xml else "csv",
    )
