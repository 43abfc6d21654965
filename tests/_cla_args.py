"""The ``cla validate`` and ``cla check`` arguments the CLI tests run DfE's sample with
(its period, 2017-18, and its authority, 805), shared by the tests of both commands and
of the console script."""

from __future__ import annotations

from pathlib import Path


def validate_args(sample: Path, *more: str) -> list[str]:
    """``cla validate`` of ``sample`` with the 2024-25 rules, quietly, then ``more``."""
    return ["cla", "validate", str(sample), "-r", "2024-25", "--period", "2017-18",
            "--la-code", "805", "-q", *more]  # fmt: skip


def check_args(sample: Path, *more: str) -> list[str]:
    """``cla check`` of ``sample`` as authority 805, quietly, then ``more``."""
    return ["cla", "check", str(sample), "-r", "2024-25", "--period", "2017-18", "-a", "805",
            "-q", *more]  # fmt: skip
