"""The HTTP API: one module per resource, built by :func:`create_app`.

Routes parse input, call the library (``cscwatch.indicators``, ``cscwatch.store``)
and format the answer; no SQL or statistics live here.
"""

from cscwatch.serve.api._app import create_app

__all__ = ["create_app"]
