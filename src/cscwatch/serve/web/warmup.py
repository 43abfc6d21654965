"""Warming a warehouse file before it is served, so that no request is cold.

The first profile after a start used to take 4.4 s on a quiet machine: it fitted the
early-warning model its risk section shows, read the Ofsted record for the
data-currency banner, imported the chart and map code and compiled the templates. All
of that is done here instead: once at start-up, before the server accepts a request,
and again in the background for each file a rebuild puts in place (the pool keeps
serving the old file until this has run on the new one; ``serve/api/_warehouse.py``).
"""

from __future__ import annotations

import logging
import time

from fastapi import FastAPI

from cscwatch.core.catalogue import get_indicator
from cscwatch.indicators.authorities import list_authorities
from cscwatch.indicators.currency import data_currency
from cscwatch.serve.api import _risk
from cscwatch.serve.api._prepared import prepare_answers, remember
from cscwatch.serve.api._warehouse import Snapshot
from cscwatch.serve.web import views
from cscwatch.serve.web._render import TEMPLATES, _env
from cscwatch.serve.web.sections import PROFILE_SECTIONS

__all__ = ["prepare", "warm_up"]

_log = logging.getLogger("cscwatch.serve")

#: Per-file caches of the data-currency banner kept at once (old and new file).
_KEEP = 4


def remember_currency(app: FastAPI, snap: Snapshot) -> object:
    """The data-currency banner's information for ``snap``'s file, from the app's cache
    (kept per file) or read now."""
    cache: dict[str, object] = app.state.data_currency_by_tag
    found = cache.get(snap.tag)
    if found is None:
        found = data_currency(snap.con)
        while len(cache) >= _KEEP:
            cache.pop(next(iter(cache)))
        cache[snap.tag] = found
    return found


def prepare(app: FastAPI, snap: Snapshot) -> None:
    """Prepare the API's profile and observations answers for ``snap``'s file
    (``serve/api/_prepared.py``) and keep them, unless that is done."""
    if snap.tag in app.state.prepared_by_tag:
        return
    prepared = prepare_answers(snap.con, snap.tag)
    remember(app.state.prepared_by_tag, prepared)
    # the routes resolve the same LA numbers through this cache (serve/api/_deps.py)
    app.state.authority_cache.update(
        {(snap.tag, text): auth for text, auth in prepared.authorities.items()}
    )
    _log.info("warehouse %s: %s", snap.tag, prepared.summary())


def warm_up(app: FastAPI, snap: Snapshot, *, answers: bool = True) -> None:
    """Do for ``snap``'s file what the first requests would otherwise do: prepare the
    API's profile and observations answers (:func:`prepare`; unless ``answers`` is
    false), fit the early-warning ranking the profiles show, read the data currency,
    build one authority's profile and one indicator page, and compile every template."""
    started = time.perf_counter()
    settings = app.state.settings
    con = snap.con
    if answers:
        prepare(app, snap)
    if any(s.id == "risk" for s in PROFILE_SECTIONS):
        _risk.ranking(con, settings, snap.tag, _risk.default_as_at())
    remember_currency(app, snap)
    current = list_authorities(con, current_only=True)
    if current:
        views.profile(con, settings, current[0], None, warehouse_tag=snap.tag)
    views.indicator(con, settings, get_indicator("cpp_at31_per_10k"), None, None)
    for path in sorted(TEMPLATES.rglob("*.html")):
        _env.get_template(path.relative_to(TEMPLATES).as_posix())
    _log.info("warehouse %s warmed in %.2f s", snap.tag, time.perf_counter() - started)
