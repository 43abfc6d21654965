"""A profile's "Each statistical neighbour's figure" blocks: fetched when opened.

The profile sends, for each indicator, the rank among the neighbours in words, a link
to the indicator page (which shows each neighbour's figure without JavaScript) and the
address of the block's chart and table, which ``static/js/app.js`` fetches when the
block is opened (``test_browser_dashboard.py`` opens one in a browser).
"""

from __future__ import annotations

import re

import httpx


def _tbody(html: str, table_id: str) -> str:
    found = re.search(
        rf'<table class="govuk-table" id="{table_id}">.*?(<tbody.*?</tbody>)', html, re.S
    )
    assert found, table_id
    return found.group(1)


def test_the_block_is_fetched_and_its_link_shows_the_same_rows(api: httpx.Client) -> None:
    page = api.get("/authorities/383").text
    src = re.search(r'data-neighbours-src="(/authorities/383/neighbours/rereferrals_pct)"', page)
    link = re.search(
        r'href="(/indicators/rereferrals_pct\?authority=383&amp;year=(\d+))#neighbours"', page
    )
    assert src and link
    assert 'id="table-neighbours-rereferrals_pct"' not in page  # not sent with the page
    block = api.get(src.group(1))
    assert block.status_code == 200 and "<html" not in block.text
    assert block.text.lstrip().startswith('<p class="govuk-body-s">Rank ')
    assert 'aria-labelledby="sn-rereferrals_pct-t sn-rereferrals_pct-d"' in block.text
    assert 'href="/authorities/383/tables/neighbours-rereferrals_pct.csv"' in block.text
    rows = _tbody(block.text, "table-neighbours-rereferrals_pct")
    assert rows.count("<tr ") == 13  # Leeds, 10 neighbours, region, England
    # without JavaScript: the same rows on the indicator page the block links to
    indicator = api.get(link.group(1).replace("&amp;", "&")).text
    assert _tbody(indicator, "table-neighbours") == rows


def test_the_blocks_year_is_the_profiles(api: httpx.Client) -> None:
    page = api.get("/authorities/921", params={"year": 2025}).text
    assert 'data-neighbours-src="/authorities/921/neighbours/rereferrals_pct?year=2025"' in page
    block = api.get("/authorities/921/neighbours/rereferrals_pct", params={"year": 2025})
    assert block.status_code == 200
    assert "2024-25: Isle of Wight and its statistical neighbours" in block.text
    assert "/authorities/921/tables/neighbours-rereferrals_pct.csv?year=2025" in block.text


def test_an_unknown_indicator_or_year_is_an_error_page(api: httpx.Client) -> None:
    assert api.get("/authorities/383/neighbours/nonesuch").status_code == 404
    assert api.get("/authorities/383/neighbours/rereferrals_pct?year=1900").status_code == 400
