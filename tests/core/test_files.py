"""Only regular files are read whole or replaced."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cscwatch.core.errors import InputError, SourceFileError
from cscwatch.core.files import check_output_path, read_input_bytes


def test_a_regular_file_is_read(tmp_path: Path) -> None:
    p = tmp_path / "a.xml"
    p.write_bytes(b"<Message/>")
    assert read_input_bytes(p) == b"<Message/>"


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.xml"
    os.mkfifo(fifo)
    with pytest.raises(SourceFileError, match=r"a FIFO \(named pipe\), not a file; refused"):
        read_input_bytes(fifo)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_a_device_is_refused() -> None:
    with pytest.raises(SourceFileError, match="file /dev/zero: a device, not a file"):
        read_input_bytes("/dev/zero")


def test_a_folder_and_a_missing_file_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SourceFileError, match="a folder, not a file"):
        read_input_bytes(tmp_path)
    with pytest.raises(SourceFileError, match="no such file"):
        read_input_bytes(tmp_path / "nothing.xml")


def test_the_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = tmp_path / "big.xml"
    p.write_bytes(b"x" * 101)
    assert read_input_bytes(p, max_bytes=101) == b"x" * 101
    with pytest.raises(SourceFileError, match="101 bytes, more than the limit of 100"):
        read_input_bytes(p, max_bytes=100)
    monkeypatch.setattr("cscwatch.core.files.MAX_INPUT_BYTES", 50)
    with pytest.raises(SourceFileError, match="limit of 50"):
        read_input_bytes(p)


def test_outputs_that_are_not_files_are_refused(tmp_path: Path) -> None:
    assert check_output_path(tmp_path / "new.csv") == tmp_path / "new.csv"
    (tmp_path / "old.csv").write_text("a\n")
    check_output_path(tmp_path / "old.csv")
    with pytest.raises(InputError, match="it is a folder, not a file"):
        check_output_path(tmp_path)
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(InputError, match="FIFO"):
        check_output_path(tmp_path / "pipe")
    if Path("/dev/null").exists():
        with pytest.raises(InputError, match="cannot write /dev/null: it is a device"):
            check_output_path("/dev/null")
