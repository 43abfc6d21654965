"""How the command line ends: one line and exit 2 for the user's mistakes."""

from __future__ import annotations

import errno

import pytest

from cscwatch.core.errors import SchemaError
from cscwatch.serve.cli._errors import describe, one_line


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (KeyboardInterrupt(), ("interrupted", 130)),
        (SchemaError("bad\ncell", path="f.csv", row=3), ("error: file f.csv, row 3: bad; cell", 2)),
        (OSError(errno.EROFS, "Read-only file system", "/x"),
         ("error: cannot use /x: Read-only file system", 2)),
        (PermissionError(errno.EACCES, "Permission denied", "/root/x"),
         ("error: cannot use /root/x: Permission denied", 2)),
        (OSError(errno.ENOSPC, "No space left on device"), ("error: No space left on device", 2)),
        (MemoryError(), ("error: out of memory (is an input file larger than it should be?)", 2)),
    ],
)  # fmt: skip
def test_describe(exc: BaseException, expected: tuple[str, int]) -> None:
    assert describe(exc) == expected


def test_a_bug_is_exit_1_and_says_so() -> None:
    line, code = describe(ValueError("x\ny"))
    assert code == 1 and line.startswith("internal error: ValueError: x; y (a bug in cscwatch")


def test_one_line() -> None:
    assert one_line("a\n\n  b  \n") == "a; b"
    assert one_line("") == ""


def test_an_unwritable_out_is_one_line(cli, warehouse, tmp_path) -> None:
    code, _, err = cli("export", "--out", str(tmp_path), "--warehouse", str(warehouse.warehouse))
    assert code == 2 and err.count("\n") == 1
    assert err == f"error: cannot write {tmp_path}: it is a folder, not a file\n"
