"""Everything that formats for people: the CLI (:mod:`cscwatch.serve.cli`), the app
factory (:mod:`cscwatch.serve.app`), the web pages (:mod:`cscwatch.serve.web`) and the
HTTP API's routes (:mod:`cscwatch.serve.api`).

Inside ``serve`` imports run ``cli → app → web → api`` (checked by import-linter);
no SQL or statistics live here.
"""

__all__: list[str] = []
