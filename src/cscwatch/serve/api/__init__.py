"""The HTTP API's routes: one module per resource, mounted with the web pages by
:func:`cscwatch.serve.app.create_app`.

Routes parse input, call the library (``cscwatch.indicators``, ``cscwatch.store``)
and format the answer; no SQL or statistics live here.
"""

__all__: list[str] = []
