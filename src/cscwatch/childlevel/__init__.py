"""Child-level returns: an authority's own records about children, never published data.

* :mod:`cscwatch.childlevel.cin` — the CIN census: reader, validation rules, the child
  store, measures as DfE publishes them, and children's journeys across returns;
* :mod:`cscwatch.childlevel.ssda903` — the SSDA903 (children looked after) return:
  reader, validation rules by collection year;
* :mod:`cscwatch.childlevel.pseudonym` and :mod:`cscwatch.childlevel.upn` — child
  identifiers (keyed pseudonyms, UPN check letters), and
  :mod:`cscwatch.childlevel.xmlsafe` — the hostile-XML guard, shared by both sides.

Child-level data never enters the published warehouse (an import contract forbids this
package from importing :mod:`cscwatch.store`); synthetic returns to try it on are made
by :mod:`cscwatch.synth`.

Names are exported lazily (PEP 562): a command that needs one module does not pay for
importing every reader. To add an export, add it to ``_EXPORTS``, the ``TYPE_CHECKING``
imports and ``__all__``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cscwatch.childlevel.pseudonym import (
        Pseudonymiser,
        resolve_pseudonymiser,
    )

#: Public name → the module that defines it (imported on first use).
_EXPORTS: dict[str, str] = {
    "Pseudonymiser": "cscwatch.childlevel.pseudonym",
    "resolve_pseudonymiser": "cscwatch.childlevel.pseudonym",
}

__all__ = [
    "Pseudonymiser",
    "resolve_pseudonymiser",
]


def __getattr__(name: str) -> Any:
    """Import the defining module on first use, so importing the package stays cheap."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
