"""A profile's "Show the data" tables: fetched when opened.

The profile sends, for each indicator's chart, the table's caption (in its summary) and
a link to a page of its own (``/authorities/{la}/series/{id}``), whose ``#series-block``
``static/js/app.js`` shows in the block when it is opened (``test_browser_dashboard.py``
and ``test_browser_pages.py`` open one in a browser); without JavaScript the link shows
the same table. Its CSV and workbook stay where they were.
"""

from __future__ import annotations

import csv
import io
import re

import httpx


def _block(html: str) -> str:
    found = re.search(r'<div id="series-block">(.*)</div>\s*</main>', html, re.S)
    assert found
    return found.group(1)


def test_the_table_is_fetched_from_its_own_page(api: httpx.Client) -> None:
    page = api.get("/authorities/383").text
    src = '/authorities/383/series/rereferrals_pct"'
    assert f'data-series-src="{src}' in page and f'href="{src}' in page  # fetched; the link
    assert 'id="table-series-rereferrals_pct"' not in page  # not sent with the page
    caption = "Re-referrals within 12 months (%): Leeds against comparators by year"
    assert f'Show the data<span class="govuk-visually-hidden">: {caption}' in page
    assert 'href="/authorities/383/tables/series-rereferrals_pct.csv"' in page  # chart's data
    answer = api.get("/authorities/383/series/rereferrals_pct")
    assert answer.status_code == 200 and "<html" in answer.text  # a page without JavaScript
    block = _block(answer.text)
    assert block.lstrip().startswith('<div class="app-table-scroll" tabindex="0" role="region"')
    assert f'<caption class="govuk-table__caption govuk-table__caption--s">{caption}' in block
    assert 'href="/authorities/383/tables/series-rereferrals_pct.csv"' in block
    assert 'href="/authorities/383/tables/series-rereferrals_pct.xlsx"' in block
    # one row a year, as its CSV
    rows = list(
        csv.DictReader(
            io.StringIO(api.get("/authorities/383/tables/series-rereferrals_pct.csv").text)
        )
    )
    body = block[block.index("<tbody") : block.index("</tbody>")]
    assert body.count("<tr ") == len(rows) > 5
    for r in rows:
        assert f'<th scope="row" class="govuk-table__header">{r["period_label"]}</th>' in body


def test_the_tables_csv_keeps_the_profiles_year(api: httpx.Client) -> None:
    page = api.get("/authorities/921", params={"year": 2025}).text
    assert 'data-series-src="/authorities/921/series/rereferrals_pct?year=2025"' in page
    answer = api.get("/authorities/921/series/rereferrals_pct", params={"year": 2025})
    assert answer.status_code == 200
    assert "/authorities/921/tables/series-rereferrals_pct.csv?year=2025" in _block(answer.text)


def test_an_unknown_or_undrawn_indicator_is_an_error_page(api: httpx.Client) -> None:
    assert api.get("/authorities/383/series/nonesuch").status_code == 404
    # a count whose rate the profile draws has no chart, so no table of its own
    assert api.get("/authorities/383/series/cpp_at31").status_code == 400
