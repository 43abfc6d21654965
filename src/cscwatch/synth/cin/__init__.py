"""Synthetic CIN census returns (see :mod:`cscwatch.synth.cin.returns`).

* :mod:`~cscwatch.synth.cin.targets` — the published figures a return is calibrated to;
* :mod:`~cscwatch.synth.cin.simulation` — a year of children simulated to meet them;
* :mod:`~cscwatch.synth.cin.writer` — the XML in the DfE layout;
* :mod:`~cscwatch.synth.cin.errors` — validation errors injected on purpose;
* :mod:`~cscwatch.synth.cin.returns` — all of it for one authority and year.

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
