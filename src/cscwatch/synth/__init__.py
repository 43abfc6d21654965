"""Synthetic returns: made-up child-level files, calibrated to published figures, for
demonstrations, tests and benchmarks (no real child's record is ever needed to try the
child-level side).

Synthesis is a tool that sits above the parts it serves: it reads published figures
from the snapshot, simulates children, writes a return in the publisher's layout and
uses the child-level declarations (:mod:`cscwatch.childlevel`) so that what it writes is
what the reader and the rules expect. Nothing below it imports it.

* :mod:`cscwatch.synth.cin` — CIN census returns;
* an SSDA903 generator goes beside it as ``synth/ssda903``.

Import from the generator's own package (``cscwatch.synth.cin``), which exports its names.
"""
