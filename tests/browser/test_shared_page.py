"""The browser tests' shared page (conftest ``_SharedPage``): a page that was closed is
replaced for the next test, with the same set-up a new page gets."""

from __future__ import annotations

from typing import Any


def test_a_closed_page_is_replaced_with_a_new_one(_shared_page: Any, base_url: str) -> None:
    first = _shared_page.get()
    assert _shared_page.get() is first  # kept while it is usable
    first.context.close()
    second = _shared_page.get()
    assert second is not first and not second.is_closed()
    assert second.js_errors == []
    second.goto("/accessibility")
    assert second.url == f"{base_url}/accessibility"
    assert second.viewport_size == {"width": 1280, "height": 900}
