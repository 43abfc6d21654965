"""The API's resources over real HTTP against the session warehouse."""

from __future__ import annotations

import csv
import io

import httpx


def test_openapi_documents_every_resource(api: httpx.Client) -> None:
    spec = api.get("/api/openapi.json").json()
    paths = set(spec["paths"])
    for p in (
        "/api/authorities",
        "/api/authorities/{authority}",
        "/api/authorities/{authority}/profile",
        "/api/authorities/{authority}/benchmark/{indicator_id}",
        "/api/authorities/{authority}/series/{indicator_id}",
        "/api/indicators",
        "/api/indicators/{indicator_id}",
        "/api/indicators/{indicator_id}/variation",
        "/api/indicators/{indicator_id}/funnel",
        "/api/observations",
    ):
        assert p in paths, p
    assert "ErrorResponse" in spec["components"]["schemas"]
    assert not any(p.startswith("/authorities") for p in paths)  # pages are not in the API doc


def test_authorities_page_through_with_next_links(api: httpx.Client) -> None:
    first = api.get("/api/authorities", params={"limit": 100}).json()
    assert first["meta"] == {"limit": 100, "offset": 0, "count": 100}
    nxt = first["links"]["next"]
    assert nxt and "offset=100" in nxt
    second = api.get(nxt).json()
    assert second["links"]["next"] is None
    codes = [a["la_code"] for a in first["data"] + second["data"]]
    assert len(codes) == len(set(codes)) >= 153


def test_authority_resolves_names_and_codes(api: httpx.Client) -> None:
    for key in ("352", "Manchester", "E08000003", "manchester"):
        assert api.get(f"/api/authorities/{key}").json()["la_code"] == "352"


def test_indicator_catalogue(api: httpx.Client) -> None:
    data = api.get("/api/indicators").json()["data"]
    ids = {i["id"] for i in data}
    assert {"cpp_at31_per_10k", "rereferrals_pct", "agency_rate_pct"} <= ids
    one = api.get("/api/indicators/cpp_at31_per_10k").json()
    assert one["unit"] == "per_10k" and one["first_year"] <= 2013


def test_observations_filters_and_pages(api: httpx.Client) -> None:
    params: dict[str, str | int | list[str]] = {
        "indicator": "cpp_at31_per_10k",
        "authority": ["352", "Leeds"],
        "limit": 5,
    }
    body = api.get("/api/observations", params=params).json()
    assert body["meta"]["count"] == 5
    assert {r["geo_code"] for r in body["data"]} <= {"352", "383"}
    assert body["links"]["next"]
    years = api.get(
        "/api/observations",
        params={
            "indicator": "cpp_at31_per_10k",
            "year_from": "2020",
            "year_to": "2021-22",
            "geo_level": "national",
        },
    ).json()["data"]
    assert [r["year"] for r in years] == [2020, 2021, 2022]


def test_observations_tidy_csv(api: httpx.Client) -> None:
    resp = api.get(
        "/api/observations",
        params={
            "indicator": "cpp_at31_per_10k",
            "region": "E12000002",
            "year": "2025",
            "format": "csv",
            "limit": 10000,
        },
    )
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(resp.text)))
    assert list(rows[0])[:10] == [
        "time_period",
        "time_identifier",
        "geographic_level",
        "country_code",
        "country_name",
        "region_code",
        "region_name",
        "new_la_code",
        "old_la_code",
        "la_name",
    ]
    manchester = next(r for r in rows if r["old_la_code"] == "352")
    assert manchester["new_la_code"] == "E08000003"
    assert manchester["region_name"] == "North West"
    assert manchester["geographic_level"] == "Local authority"
    assert any(r["geographic_level"] == "Regional" for r in rows)


def test_suppressed_values_keep_the_publisher_symbol_in_csv(api: httpx.Client) -> None:
    rows = api.get(
        "/api/observations", params={"authority": "201", "format": "csv", "limit": 10000}
    ).text.splitlines()
    symbols = {line.rsplit(",", 2)[1] for line in rows[1:]}
    assert symbols & {"c", "x", "z", "u", "k", "low"}
    body = api.get("/api/observations", params={"authority": "201", "limit": 10000}).json()
    assert all(r["value"] is None for r in body["data"] if r["status"] in ("c", "x", "z"))


def test_profile_benchmark_series(api: httpx.Client) -> None:
    prof = api.get("/api/authorities/352/profile").json()
    assert prof["authority"]["name"] == "Manchester"
    b = next(x for x in prof["benchmarks"] if x["indicator"] == "cpp_at31_per_10k")
    assert b["quartile"] in (1, 2, 3, 4) and b["sn_n"] >= 5
    one = api.get("/api/authorities/Manchester/benchmark/cpp_at31_per_10k").json()
    assert one["value"] == b["value"] and one["year"] == b["year"]
    y2019 = api.get("/api/authorities/352/benchmark/cpp_at31_per_10k", params={"year": "2018-19"})
    assert y2019.json()["year"] == 2019
    series = api.get("/api/authorities/352/series/cpp_at31_per_10k").json()["data"]
    assert series[-1]["year"] == b["year"] and series[-1]["authority"] == b["value"]


def test_variation_and_funnel(api: httpx.Client) -> None:
    v = api.get("/api/indicators/cpp_at31_per_10k/variation", params={"year": 2025}).json()
    assert v["min"]["value"] <= v["q1"] <= v["median"] <= v["q3"] <= v["max"]["value"]
    f = api.get("/api/indicators/cpp_at31_per_10k/funnel", params={"year": 2025}).json()
    assert len(f["points"]) >= 140 and len(f["curve"]) > 10
    assert {p["outlier"]["flag"] for p in f["points"]} <= {"higher", "lower", "within"}
    assert f["scale"] == "log" and v["flag_counts"] is not None
    counted = sum(p["outlier"]["flag"] == "higher" for p in f["points"])
    assert v["flag_counts"]["higher"] == counted
    assert [o["outlier"]["flag"] for o in v["outliers"]].count("higher") == counted


def test_the_flag_is_one_record_in_api_cli_and_csv(api: httpx.Client) -> None:
    """Profile, benchmark, funnel and the page CSV carry the same flag, field for field."""
    from cscwatch.indicators.flags import FLAG_FIELDS

    prof = api.get("/api/authorities/921/profile", params={"year": 2025}).json()
    b = next(x for x in prof["benchmarks"] if x["indicator"] == "rereferrals_pct")
    assert tuple(b["outlier"]) == FLAG_FIELDS
    assert b["outlier"]["flag"] == "higher" and b["outlier"]["flag_meaning"] == "worse"
    assert b["outlier"]["flag_words"] == "higher than expected"
    assert b["outlier"]["flag_year"] == 2025 and b["outlier"]["flag_centre"] == 22.6
    f = api.get("/api/indicators/rereferrals_pct/funnel", params={"year": 2025}).json()
    point = next(p for p in f["points"] if p["la_code"] == "921")
    assert point["outlier"] == b["outlier"]
    rows = list(
        csv.DictReader(
            io.StringIO(api.get("/indicators/rereferrals_pct/tables/funnel.csv?year=2025").text)
        )
    )
    row = next(r for r in rows if r["la_code"] == "921")
    assert {k: row[k] for k in ("flag", "flag_words", "flag_meaning", "chance_flag")} == {
        k: b["outlier"][k] for k in ("flag", "flag_words", "flag_meaning", "chance_flag")
    }


def test_page_csv_downloads(api: httpx.Client) -> None:
    for url in (
        "/tables/map.csv?indicator=cpp_at31_per_10k",
        "/tables/headlines.csv",
        "/tables/ofsted.csv",
        "/authorities/352/tables/ofsted.csv",
        "/authorities.csv",
        "/indicators.csv",
        "/authorities/352/tables/summary.csv",
        "/authorities/352/tables/series-cpp_at31_per_10k.csv",
        "/authorities/352/tables/neighbours.csv",
        "/indicators/cpp_at31_per_10k/tables/funnel.csv",
        "/indicators/cpp_at31_per_10k/tables/authorities.csv",
        "/indicators/cpp_at31_per_10k/tables/variation.csv",
    ):
        resp = api.get(url)
        assert resp.status_code == 200, url
        assert resp.headers["content-type"].startswith("text/csv"), url
        assert "attachment" in resp.headers["content-disposition"]
        assert len(resp.text.splitlines()) >= 2, url
    assert api.get("/authorities/352/tables/nope.csv").status_code == 400


def test_sub_regions_are_named_in_json_and_csv(api: httpx.Client) -> None:
    """Inner and Outer London (workforce figures) carry their names, not bare codes."""
    params = {"indicator": "caseload", "year": "2025", "geo_level": "regional"}
    data = api.get("/api/observations", params=params).json()["data"]
    names = {r["geo_code"]: r["geo_name"] for r in data}
    assert names["E13000001"] == "Inner London" and names["E13000002"] == "Outer London"
    assert names["E12000007"] == "London" and all(names.values())
    text = api.get("/api/observations", params={**params, "format": "csv"}).text
    rows = {r["region_code"]: r["region_name"] for r in csv.DictReader(io.StringIO(text))}
    assert rows["E13000001"] == "Inner London" and rows["E13000002"] == "Outer London"
    nat = api.get(
        "/api/observations", params={"indicator": "caseload", "geo_level": "national"}
    ).json()["data"]
    assert {r["geo_name"] for r in nat} == {"England"}


def test_profile_csvs_name_each_period_as_the_publisher_does(api: httpx.Client) -> None:
    """The profile summary and series downloads carry the period label beside the year:
    the workforce census of 30 September, not a reporting year."""
    text = api.get("/authorities/352/tables/summary.csv").text
    rows = {r["indicator"]: r for r in csv.DictReader(io.StringIO(text))}
    assert rows["caseload"]["period_label"] == f"30 September {rows['caseload']['year']}"
    assert rows["referrals_per_10k"]["period_label"].endswith(rows["referrals_per_10k"]["year"][2:])
    text = api.get("/authorities/352/tables/series-caseload.csv").text
    series = list(csv.DictReader(io.StringIO(text)))
    assert series and all(r["period_label"] == f"30 September {r['year']}" for r in series)


def test_profile_page_says_pounds_are_cash_terms(api: httpx.Client) -> None:
    """Every £ figure on the profile is labelled cash terms (item 5 of issue 9)."""
    page = api.get("/authorities/352").text
    assert "£ figures in cash terms, not adjusted for inflation" in page
    assert "Manchester against comparators by year (£ per child aged 0 to 17, cash terms)" in page
    assert "Manchester against comparators by year (£, cash terms)" in page


def test_care_resources(api: httpx.Client) -> None:
    spec = api.get("/api/openapi.json").json()
    for p in (
        "/api/care/reconciliation",
        "/api/care/sufficiency",
        "/api/care/sufficiency/national",
        "/api/care/placements/{authority}",
    ):
        assert p in spec["paths"], p
    rec = api.get("/api/care/reconciliation").json()
    assert all(c["within_bound"] and c["hand_over_year"] == 2021 for c in rec["checks"])
    assert rec["double_counted"] == []
    s = api.get("/api/care/sufficiency", params={"place": "Manchester"}).json()
    assert s["geo_code"] == "352" and s["data_to"] == "2024-25"
    d = s["decomposition"]["total"]
    assert abs(d["volume_effect"] + d["price_effect"] - d["change"]) < 1e-3
    assert api.get("/api/care/sufficiency", params={"place": "Atlantis"}).status_code == 404
    national = api.get("/api/care/sufficiency/national").json()["data"]
    assert national[0]["name"] == "England" and len(national) == 10
    pl = api.get("/api/care/placements/Manchester", params={"year": "2025"}).json()
    assert pl["year"] == 2025 and ["lac_other_residential_pct", None, "-"] in pl["shares"]
    bad = api.get("/api/care/placements/352", params={"year": "soon"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "unknown_year"


def test_a_neighbours_mean_over_fewer_than_ten_is_marked(api: httpx.Client) -> None:
    """The page's neighbours' mean says when it is over fewer than 10 neighbours, and
    the summary download carries the count: North Lincolnshire's plans open 2 years or
    more in 2024-25, whose 'mean' is the one neighbour of ten with a figure
    (independent check, 3 December 2026)."""
    html = api.get("/authorities/813", params={"year": "2025"}).text
    row = html[html.index('data-indicator="cpp_2yrs_plus_pct"') :]
    assert "2.9% (n=1)" in row[: row.index("</tr>")]
    assert "“(n=4)” after it means only 4 had one" in html
    text = api.get("/authorities/813/tables/summary.csv", params={"year": "2025"}).text
    rows = {r["indicator"]: r for r in csv.DictReader(io.StringIO(text))}
    assert rows["cpp_2yrs_plus_pct"]["sn_n"] == "1"
    assert rows["rereferrals_pct"]["sn_n"] == "10"
    # the series by year: the API's and the page's download
    data = api.get("/api/authorities/813/series/cpp_2yrs_plus_pct").json()["data"]
    point = next(p for p in data if p["year"] == 2025)
    assert point["sn_mean"] == 2.9 and point["sn_n"] == 1
    text = api.get("/authorities/813/tables/series-cpp_2yrs_plus_pct.csv").text
    by_year = {r["year"]: r for r in csv.DictReader(io.StringIO(text))}
    assert by_year["2025"]["sn_n"] == "1"


def test_the_charts_neighbours_line_says_where_its_mean_is_over_fewer_than_ten(
    api: httpx.Client,
) -> None:
    """The profile chart's neighbours' line is named with the years its mean is over
    fewer than 10 neighbours (its table marks each ``(n=K)``), or how many years when
    more than three; a line over ten every year keeps the plain name."""
    html = api.get("/authorities/813").text

    def legend(indicator: str) -> str:
        block = html[html.index(f'id="ind-{indicator}"') :]
        block = block[: block.index("</figure>")]
        return block[block.index('class="app-chart-legend__sn"') :].split("</svg>", 1)[1]

    for indicator in ("cpp_2yrs_plus_pct", "rereferrals_pct"):
        data = api.get(f"/api/authorities/813/series/{indicator}").json()["data"]
        few = [
            p["year"]
            for p in data
            if p["sn_mean"] is not None and p["sn_n"] < 10 and not p["provisional"]
        ]
        name = legend(indicator).split("</li>", 1)[0]
        if not few:
            assert name == "Statistical neighbours (mean)"
        elif len(few) > 3:
            assert name == (
                f"Statistical neighbours (mean; of fewer than 10 in {len(few)} years, "
                "marked in the table)"
            )
        else:
            assert name.startswith("Statistical neighbours (mean; of fewer than 10 in ")
            assert name.count(",") == len(few) - 1
    assert "Statistical neighbours (mean; of fewer than 10 in" in legend("cpp_2yrs_plus_pct")


def test_a_former_authority_s_figure_after_it_ceased_everywhere(api: httpx.Client) -> None:
    """Northamptonshire's (928) foster places filled on 31 March 2023, published under its
    number after it ceased: unranked under 928 and ranked once as North and West
    Northamptonshire's joint service, alike in the API's benchmark, series and variation,
    the indicator page's table and its CSV, and the profile pages (names keep their
    capitals)."""
    ind, q = "foster_places_filled_pct", {"year": "2023"}
    old = api.get(f"/api/authorities/928/benchmark/{ind}", params=q).json()
    north = api.get(f"/api/authorities/940/benchmark/{ind}", params=q).json()
    assert old["rank"] is None and old["method"] == "ceased" and "ceased" in old["rank_note"]
    assert north["rank"] == 1 and north["value"] == old["value"] and north["joint_with"] == ["941"]
    series = api.get(f"/api/authorities/941/series/{ind}").json()["data"]
    assert {p["year"]: p["authority"] for p in series}[2023] == old["value"]
    v = api.get(f"/api/indicators/{ind}/variation", params=q).json()
    assert (
        v["n"] == 144 and v["max"]["authority"] == "North Northamptonshire / West Northamptonshire"
    )
    csv_rows = api.get(f"/indicators/{ind}/tables/authorities.csv", params=q).text.splitlines()
    by_code = {r.split(",")[4]: r for r in csv_rows[1:]}
    assert (
        ",1,4," in by_code["940"] and "joint service with West Northamptonshire" in by_code["940"]
    )
    assert ',,,"not ranked: the authority had ceased' in by_code["928"]
    page = api.get("/authorities/928", params=q).text
    assert "North Northamptonshire (940) and West Northamptonshire (941)" in page
    assert "not ranked (a former authority's figure after it ceased)" in page
    assert "Joint service with West Northamptonshire" in api.get("/authorities/940").text
