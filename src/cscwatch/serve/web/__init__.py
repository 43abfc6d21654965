"""The dashboard: server-rendered pages in the GOV.UK style.

Pages are Jinja2 templates using GOV.UK Frontend components; charts and the map are
inline SVG drawn on the server, so every page works with JavaScript off. Every table
can be downloaded as CSV. An authority profile is a list of sections
(:data:`~cscwatch.serve.web.sections.PROFILE_SECTIONS`), each a template plus a data
function, so a new section plugs in without touching the page.
"""

from cscwatch.serve.web.pages import install_pages, render_error_page

__all__ = ["install_pages", "render_error_page"]
