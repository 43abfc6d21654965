"""Fuzzing the readers and the argument parsers (hypothesis).

Each property feeds generated or mutated input to one entry point and asserts it either
succeeds or raises a ``CscwatchError`` (the CLI: exit 0 or 2, never "internal
error"). In the suite each property runs 20 examples; ``make fuzz`` runs
them at length (``CSCWATCH_FUZZ_EXAMPLES``, 2,000 by default there).
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cscwatch.childlevel.cin.census import read_cin_census, refuse_hostile_xml
from cscwatch.childlevel.pseudonym import Pseudonymiser
from cscwatch.core.config import Settings, repo_root
from cscwatch.core.errors import CscwatchError
from cscwatch.core.types import PeriodKind, parse_period, parse_year
from cscwatch.ingest.tidy import TIDY_SOURCES, stage_tidy

EXAMPLES = int(os.environ.get("CSCWATCH_FUZZ_EXAMPLES", "20"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=EXAMPLES <= 20,  # the suite is reproducible; `make fuzz` explores
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SNAPSHOT = repo_root() / "data" / "snapshot"
SAMPLE = Settings().shared_data / "cin_census" / "samples" / "CIN_Census_2024.xml"
B1 = TIDY_SOURCES["b1"]


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="cscwatch-fuzz-") as d:
        yield Path(d)


def _mutate(data: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    """Apply (position, length to cut, bytes to insert) edits to ``data``."""
    out = bytearray(data)
    for pos, cut, insert in edits:
        at = pos % (len(out) + 1)
        out[at : at + cut] = insert
    return bytes(out)


_EDITS = st.lists(
    st.tuples(
        st.integers(0, 1 << 20),
        st.integers(0, 64),
        st.one_of(
            st.binary(max_size=32),
            st.sampled_from(
                [
                    b"<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>",
                    b"&e;",
                    b"<Child>",
                    b"</Child>",
                    b"\x00",
                    b"\xff\xfe",
                    b"<![CDATA[",
                    "é".encode("utf-16-le"),
                ]
            ),
        ),
    ),
    max_size=6,
)


def _read_xml(path: Path) -> None:
    key = Pseudonymiser(b"fuzz-key-0123456789abcdef")
    with contextlib.suppress(CscwatchError):
        read_cin_census(path, lambda _h: key)


@pytest.mark.skipif(not SAMPLE.is_file(), reason="shared CIN samples are not present")
@FUZZ
@given(edits=_EDITS)
def test_xml_reader_on_mutated_returns(scratch: Path, edits: list[tuple[int, int, bytes]]) -> None:
    path = scratch / "mutated.xml"
    path.write_bytes(_mutate(SAMPLE.read_bytes(), edits))
    _read_xml(path)


@FUZZ
@given(data=st.binary(max_size=4096))
def test_xml_reader_on_arbitrary_bytes(scratch: Path, data: bytes) -> None:
    path = scratch / "bytes.xml"
    path.write_bytes(data)
    _read_xml(path)


@FUZZ
@given(
    encoding=st.sampled_from(["utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"]),
    bom=st.booleans(),
    declared=st.booleans(),
)
def test_doctype_is_refused_in_every_encoding(encoding: str, bom: bool, declared: bool) -> None:
    text = (
        f'<?xml version="1.0" encoding="{encoding.upper()}"?>' if declared else ""
    ) + "<!DOCTYPE Message [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><Message>&x;</Message>"
    data = text.encode(encoding)
    if bom:
        data = "\ufeff".encode(encoding) + data
    with pytest.raises(CscwatchError):
        refuse_hostile_xml(data)


def _b1_lines(n: int) -> list[str]:
    with (SNAPSHOT / B1.file).open(encoding="utf-8") as fh:
        return [next(fh) for _ in range(n)]


_LINES = _b1_lines(40)


@FUZZ
@given(
    keep=st.integers(0, len(_LINES)),
    edits=_EDITS,
    cell=st.one_of(
        st.text(max_size=12),
        st.sampled_from(["NaN", "inf", "-1", "1e309", "c", "", '"', "1,2", "\r", "x" * 300]),
    ),
    row=st.integers(1, len(_LINES) - 1),
    column=st.integers(0, 18),
)
def test_tidy_reader_on_mutated_csv(
    scratch: Path,
    keep: int,
    edits: list[tuple[int, int, bytes]],
    cell: str,
    row: int,
    column: int,
) -> None:
    lines = list(_LINES[:keep])
    if row < len(lines):
        cells = lines[row].rstrip("\n").split(",")
        if column < len(cells):
            cells[column] = cell
        lines[row] = ",".join(cells) + "\n"
    data = _mutate("".join(lines).encode("utf-8", "surrogatepass"), edits)
    folder = scratch / "csv"
    folder.mkdir(exist_ok=True)
    (folder / B1.file).write_bytes(data)
    con = duckdb.connect()
    try:
        stage_tidy(con, B1, folder, known_authorities={"841", "840", "390", "805"})
    except CscwatchError:
        pass
    finally:
        con.close()


@FUZZ
@given(text=st.text(max_size=24))
def test_year_parsers(text: str) -> None:
    parsers: list[Callable[[str], object]] = [parse_year]
    parsers += [functools.partial(parse_period, kind=k) for k in PeriodKind]
    for parse in parsers:
        with contextlib.suppress(CscwatchError):
            parse(text)


_WORDS = st.sampled_from(
    [
        "show",
        "profile",
        "variation",
        "indicators",
        "--year",
        "-y",
        "--format",
        "json",
        "csv",
        "table",
        "--prices",
        "real",
        "--england",
        "cpp_at31_per_10k",
        "Manchester",
        "352",
        "2024-25",
        "--topic",
        "--include-small",
    ]
)


@settings(
    parent=FUZZ,
    # capsys is read (and so emptied) after every example
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(argv=st.lists(st.one_of(_WORDS, st.text(min_size=1, max_size=10)), min_size=1, max_size=5))
def test_command_line_never_crashes(
    argv: list[str], warehouse: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    from cscwatch.serve.cli import main

    old_argv, old_env = sys.argv, os.environ.get("CSCWATCH_WAREHOUSE")
    sys.argv = ["cscwatch", *argv]
    os.environ["CSCWATCH_WAREHOUSE"] = str(warehouse.warehouse)
    try:
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.argv = old_argv
        if old_env is None:
            os.environ.pop("CSCWATCH_WAREHOUSE", None)
        else:
            os.environ["CSCWATCH_WAREHOUSE"] = old_env
    err = capsys.readouterr().err
    assert code in (0, 2), (argv, code, err)
    assert "internal error" not in err and "Traceback" not in err, (argv, err)
