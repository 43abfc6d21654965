"""Synthetic returns: made-up child-level files, calibrated to published figures, for
demonstrations, tests and benchmarks (no real child's record is ever needed to try the
child-level side).

Synthesis is a tool that sits above the parts it serves: it reads published figures
from the snapshot, simulates children, writes a return in the publisher's layout and
uses the child-level declarations (:mod:`cscwatch.childlevel`) so that what it writes is
what the reader and the rules expect. Nothing below it imports it.

* :mod:`cscwatch.synth.cin` — CIN census returns;
* an SSDA903 generator goes beside it as ``synth/ssda903``.

Names are exported lazily (PEP 562): a command that needs one module does not pay for
importing every reader. To add an export, add it to ``_EXPORTS``, the ``TYPE_CHECKING``
imports and ``__all__``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cscwatch.synth.cin.returns import (
        PublishedFigures,
        SynthResult,
        write_synthetic_return,
    )

#: Public name → the module that defines it (imported on first use).
_EXPORTS: dict[str, str] = {
    "PublishedFigures": "cscwatch.synth.cin.returns",
    "SynthResult": "cscwatch.synth.cin.returns",
    "write_synthetic_return": "cscwatch.synth.cin.returns",
}

__all__ = [
    "PublishedFigures",
    "SynthResult",
    "write_synthetic_return",
]


def __getattr__(name: str) -> Any:
    """Import the defining module on first use, so importing the package stays cheap."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
