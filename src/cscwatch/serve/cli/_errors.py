"""How the command line ends on a failure: one line on stderr and an exit code.

* A library error (``CscwatchError``) is the user's to fix: its message, exit 2.
* An operating-system refusal about a path the user named (no such folder, no
  permission, read-only file system, disk full, a folder where a file belongs) is
  too: ``cannot write PATH: reason``, exit 2.
* Ctrl-C (SIGINT) ends with ``interrupted`` and exit 130, the shell's convention
  (128 + signal 2), so scripts can tell an interrupted run from a failed one; a build
  interrupted this way has removed its temporary file and left the old warehouse.
* Anything else is a bug in cscwatch: one line saying so, exit 1
  (``CSCWATCH_DEBUG=1`` shows the traceback).
"""

from __future__ import annotations

import errno

from cscwatch.core.errors import CscwatchError

__all__ = ["EXIT_BUG", "EXIT_INTERRUPTED", "EXIT_USER", "describe", "one_line"]

EXIT_USER = 2
EXIT_BUG = 1
EXIT_INTERRUPTED = 130

#: OS errors that say something about the path or the machine, not about cscwatch.
_USER_ERRNOS = frozenset(
    {
        errno.ENOENT,
        errno.EACCES,
        errno.EPERM,
        errno.EROFS,
        errno.ENOSPC,
        errno.EDQUOT,
        errno.EISDIR,
        errno.ENOTDIR,
        errno.EEXIST,
        errno.ENAMETOOLONG,
        errno.EXDEV,
        errno.ELOOP,
        errno.EFBIG,
        errno.EMFILE,
        errno.ENXIO,
        errno.ETXTBSY,
        errno.EBUSY,
    }
)


def one_line(text: str) -> str:
    """``text`` on one line: lines after the first non-empty one joined with ``; ``."""
    parts = [ln.strip() for ln in str(text).splitlines() if ln.strip()]
    return "; ".join(parts) if parts else ""


def describe(exc: BaseException) -> tuple[str, int]:
    """The line to print and the exit code for an exception that ended a command."""
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted", EXIT_INTERRUPTED
    if isinstance(exc, CscwatchError):
        return f"error: {one_line(str(exc))}", EXIT_USER
    if isinstance(exc, OSError) and exc.errno in _USER_ERRNOS:
        where = exc.filename if exc.filename is not None else None
        reason = exc.strerror or type(exc).__name__
        if where is not None:
            return f"error: cannot use {where}: {reason}", EXIT_USER
        return f"error: {reason}", EXIT_USER
    if isinstance(exc, MemoryError):
        return "error: out of memory (is an input file larger than it should be?)", EXIT_USER
    return (
        f"internal error: {type(exc).__name__}: {one_line(str(exc))} "
        "(a bug in cscwatch; set CSCWATCH_DEBUG=1 for the traceback)",
        EXIT_BUG,
    )
