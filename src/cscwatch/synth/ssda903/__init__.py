"""Synthetic SSDA903 (looked-after children) returns, several consecutive years at once.

* :mod:`~cscwatch.synth.ssda903.targets` — the published figures a return is calibrated to;
* :mod:`~cscwatch.synth.ssda903.simulation` — children simulated across the years;
* :mod:`~cscwatch.synth.ssda903.writer` — one year as text tables in DfE's CSV layout;
* :mod:`~cscwatch.synth.ssda903.errors` — validation errors injected on purpose;
* :mod:`~cscwatch.synth.ssda903.returns` — all of it, written atomically.
"""

from __future__ import annotations

from cscwatch.synth.ssda903.returns import (
    MANIFEST,
    MARKER_FILE,
    SynthReturn,
    SynthRun,
    authority_returns,
    model_histories,
    resolve_all,
    write_synthetic_returns,
)

__all__ = [
    "MANIFEST",
    "MARKER_FILE",
    "SynthReturn",
    "SynthRun",
    "authority_returns",
    "model_histories",
    "resolve_all",
    "write_synthetic_returns",
]
