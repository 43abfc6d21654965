"""Files a user names on the command line: only regular files are read or replaced.

Reading a FIFO blocks forever and ``/dev/zero`` never ends; replacing a device node
with ``os.replace`` (as root) destroys it. Every input a command reads whole goes
through :func:`read_input_bytes` (or :func:`check_input_file`), and every output it
replaces through :func:`check_output_path`.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from cscwatch.core.errors import InputError, SourceFileError

__all__ = ["MAX_INPUT_BYTES", "check_input_file", "check_output_path", "read_input_bytes"]

#: The largest file a command reads whole (1 GiB). A CIN census return of the largest
#: authority is a few tens of megabytes.
MAX_INPUT_BYTES = 1 << 30


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def check_input_file(path: Path | str, *, max_bytes: int | None = None) -> int:
    """Check that ``path`` is a regular file no larger than ``max_bytes``; its size.

    ``max_bytes`` defaults to :data:`MAX_INPUT_BYTES`.

    Raises
    ------
    SourceFileError
        Missing, unreadable, not a regular file (folder, FIFO, device, socket), or too
        large; the message names the file.
    """
    max_bytes = MAX_INPUT_BYTES if max_bytes is None else max_bytes
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise SourceFileError("no such file", path=str(p)) from None
    except OSError as exc:
        raise SourceFileError(f"cannot read: {exc.strerror}", path=str(p)) from None
    if not stat.S_ISREG(st.st_mode):
        raise SourceFileError(f"{_kind(st.st_mode)}, not a file; refused", path=str(p))
    if st.st_size > max_bytes:
        raise SourceFileError(
            f"{st.st_size:,} bytes, more than the limit of {max_bytes:,}", path=str(p)
        )
    return st.st_size


def read_input_bytes(path: Path | str, *, max_bytes: int | None = None) -> bytes:
    """The contents of a regular file no larger than ``max_bytes``.

    The file is opened without blocking and checked again once open, so a FIFO or
    device swapped in after the check is refused too; never more than ``max_bytes``
    are read.

    Raises
    ------
    SourceFileError
        As :func:`check_input_file`, or when the file cannot be read.
    """
    max_bytes = MAX_INPUT_BYTES if max_bytes is None else max_bytes
    p = Path(path)
    check_input_file(p, max_bytes=max_bytes)
    try:
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise SourceFileError(f"cannot read: {exc.strerror}", path=str(p)) from None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise SourceFileError(f"{_kind(st.st_mode)}, not a file; refused", path=str(p))
        try:
            data = fh.read(max_bytes + 1)
        except OSError as exc:
            raise SourceFileError(f"cannot read: {exc.strerror}", path=str(p)) from None
    if len(data) > max_bytes:
        raise SourceFileError(f"more than the limit of {max_bytes:,} bytes", path=str(p))
    return data


def check_output_path(path: Path | str) -> Path:
    """Check that ``path`` may be written: absent, or an existing regular file.

    Raises
    ------
    InputError
        When ``path`` exists and is a folder, FIFO, device or socket (replacing a
        device node would destroy it).
    """
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        return p
    except OSError as exc:
        raise InputError(f"cannot write {p}: {exc.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"cannot write {p}: it is {_kind(st.st_mode)}, not a file")
    return p
