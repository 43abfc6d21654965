"""The placement demand and cost model: monthly states, rates, forecast, costs,
disclosure, backtests and the ``cla forecast`` command."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from cscwatch.core.config import Settings
from cscwatch.core.database import connect_duckdb
from cscwatch.core.errors import InputError, SourceFileError
from cscwatch.models._placements_backtest import backtest_national, summarise_backtest
from cscwatch.models._placements_costs import default_unit_costs, read_unit_costs
from cscwatch.models._placements_data import GROUPS, OUT, month_ends, monthly_states
from cscwatch.models.placements import (
    PRIOR_MONTHS,
    Drift,
    PlacementForecast,
    PlacementModel,
    ReturnYear,
    Scenario,
    disclosed,
    fit_rates,
    infer_year,
)

FLAT = dict.fromkeys(GROUPS, 1000.0)

Cli = Callable[..., tuple[int, str, str]]


def _ret(year: int, episodes: list[dict[str, str]], header: list[dict[str, str]]) -> ReturnYear:
    return ReturnYear(year, pd.DataFrame(episodes), pd.DataFrame(header))


def _tiny() -> list[ReturnYear]:
    # Child a: fostered throughout, moves to a children's home on 15/10/2023 (open on
    # 31 March 2024, closed in the 2025 return). Child b: starts 10/06/2024 with
    # parents, leaves 20/12/2024.
    header = [{"CHILD": "a", "DOB": "01/01/2012"}, {"CHILD": "b", "DOB": "05/05/2020"}]
    y2024 = [
        {"CHILD": "a", "DECOM": "01/01/2020", "DEC": "15/10/2023", "PLACE": "U4"},
        {"CHILD": "a", "DECOM": "15/10/2023", "DEC": "", "PLACE": "K2"},
    ]
    y2025 = [
        {"CHILD": "a", "DECOM": "15/10/2023", "DEC": "", "PLACE": "K2"},
        {"CHILD": "b", "DECOM": "10/06/2024", "DEC": "20/12/2024", "PLACE": "P1"},
    ]
    return [_ret(2024, y2024, header[:1]), _ret(2025, y2025, header)]


def test_month_ends_run_from_the_march_before() -> None:
    days = month_ends(2024, 2025)
    assert days[0] == date(2023, 3, 31) and days[-1] == date(2025, 3, 31)
    assert len(days) == 25 and date(2024, 2, 29) in days


def test_monthly_states_from_episodes() -> None:
    ms = monthly_states(_tiny())
    a, b = list(ms.children).index("a"), list(ms.children).index("b")
    col = {d: i for i, d in enumerate(ms.days)}
    fos, res, par = GROUPS.index("fostering"), GROUPS.index("residential"), 2
    assert ms.state[a, col[date(2023, 9, 30)]] == fos
    assert ms.state[a, col[date(2023, 10, 31)]] == res
    assert ms.state[a, -1] == res  # still open on 31 March 2025
    assert ms.state[b, col[date(2024, 5, 31)]] == OUT
    assert ms.state[b, col[date(2024, 6, 30)]] == par
    assert ms.state[b, col[date(2024, 12, 31)]] == OUT
    assert ms.age_months[a, col[date(2024, 1, 31)]] == 12 * 12


def test_fit_rates_counts_child_months_and_shrinks() -> None:
    ms = monthly_states(_tiny())
    rates = fit_rates(ms)
    fos, res, out = GROUPS.index("fostering"), GROUPS.index("residential"), len(GROUPS)
    # Child a is in band 10-15 throughout: 6 fostering months (31/03 to 30/09/2023)
    # with one move to residential at the 7th transition; then residential to the end.
    band = 3
    n_fos = 7  # month ends 31/03 .. 30/09/2023 are fostering: 7 transitions from them
    pooled_move = 1 / n_fos  # only child a is ever fostered
    want = (1 + PRIOR_MONTHS * pooled_move) / (n_fos + PRIOR_MONTHS)
    assert rates.transition[band, fos, res] == pytest.approx(want)
    assert rates.transition[band, fos, out] == pytest.approx(0.0)
    assert rates.transition.sum(axis=2) == pytest.approx(np.ones((5, len(GROUPS))))
    # One entry (child b, aged 4, band 1-4, with parents) in 24 months.
    assert rates.entries[1, GROUPS.index("with_parents")] == pytest.approx(1 / 24)
    assert rates.entries.sum() == pytest.approx(1 / 24)


def test_infer_year_and_input_errors() -> None:
    assert infer_year(_tiny()[0].episodes) == 2024
    assert infer_year(_tiny()[1].episodes) == 2025
    with pytest.raises(InputError, match="two or more years"):
        monthly_states(_tiny()[:1])
    with pytest.raises(InputError, match="consecutive"):
        monthly_states([_tiny()[0], ReturnYear(2026, _tiny()[1].episodes, _tiny()[1].header)])
    with pytest.raises(InputError, match="no unit cost for other"):
        PlacementModel(_tiny(), unit_costs={g: 1.0 for g in GROUPS[:-1]})
    with pytest.raises(InputError, match="between 0 and 1"):
        Scenario("residential-to-fostering", 1.5)


@pytest.fixture(scope="module")
def synthetic(warehouse: Settings) -> list[ReturnYear]:
    from cscwatch.synth.ssda903 import authority_returns

    con = connect_duckdb(warehouse.warehouse, read_only=True)
    try:
        _, tables, _ = authority_returns(con, "Darlington", (2023, 2024, 2025), 4)
    finally:
        con.close()
    return [ReturnYear(y, t["episodes"], t["header"]) for y, t in sorted(tables.items())]


def test_forecast_is_reproducible_and_scenario_moves_residential(
    synthetic: list[ReturnYear],
) -> None:
    def fit(share: float) -> PlacementForecast:
        scenario = Scenario("r", share)
        model = PlacementModel(synthetic, horizon=2, n_boot=30, seed=5, unit_costs=FLAT,
                               scenario=scenario)  # fmt: skip
        return model.fit()

    one, two = fit(1.0), fit(1.0)
    assert np.array_equal(one.draws, two.draws)
    assert one.years == (2026, 2027) and one.base_date == date(2025, 3, 31)
    assert sum(one.stock.values()) == 266  # Darlington's published 31 March 2025
    res = GROUPS.index("residential")
    assert one.scenario_draws is not None
    # With every new residential placement made fostering, residential can only fall.
    assert (one.scenario_draws[:, :, res] <= one.draws[:, :, res]).all()
    assert (one.scenario_draws[:, -1, res] < one.draws[:, -1, res]).mean() > 0.9
    # Flat unit costs: moving a placement changes no cost beyond the chance of the months.
    zero = fit(0.0)
    assert zero.scenario_cost_draws is not None
    assert np.array_equal(zero.scenario_cost_draws, zero.cost_draws)


def test_costs_are_child_weeks_times_unit_cost(synthetic: list[ReturnYear]) -> None:
    fc = PlacementModel(synthetic, horizon=1, n_boot=5, seed=1, unit_costs=FLAT).fit()
    frame = fc.to_frame()
    total = frame[frame.group == "all"].iloc[0]
    # A year of about `children` children at £1,000 a week costs about 52 × £1,000 each.
    per_child_week = total["cost"] / (total["children"] * 52.1775)
    assert 800 < per_child_week < 1250


def test_disclosed_suppresses_small_counts_and_their_neighbours(
    synthetic: list[ReturnYear],
) -> None:
    fc = PlacementModel(synthetic, horizon=1, n_boot=20, seed=2, unit_costs=FLAT).fit()
    raw = fc.to_frame()
    safe = disclosed(fc)
    small = raw["children"].between(1, 5)
    assert (safe.loc[small, "children"] == "c").all()
    assert (safe.loc[small, "cost"] == "c").all()
    parts = safe[safe.group != "all"]
    n_c = int((parts["children"] == "c").sum())
    assert n_c != 1  # one suppressed part would be the total less the rest
    shown = safe[safe["children"] != "c"]
    assert all(isinstance(v, int) for v in shown["children"])


def test_default_unit_costs_are_the_published_ones(warehouse: Settings) -> None:
    con = duckdb.connect(str(warehouse.warehouse), read_only=True)
    try:
        costs = default_unit_costs(con, "352", 2025)
        england = default_unit_costs(con, None, 2025)
    finally:
        con.close()
    # Manchester, 2025, as LAIT publishes them (measured in the warehouse).
    assert costs.costs["fostering"] == 755.0
    assert costs.costs["residential"] == 7260.0
    assert costs.costs["with_parents"] == costs.costs["other"] == 1905.0
    assert costs.sources["residential"] == "unit_cost_residential_weekly LA 352 2025"
    assert england.costs["residential"] == 7385.0


def test_a_default_that_stepped_a_quarter_in_a_year_carries_a_caution(
    warehouse: Settings, tmp_path: Path
) -> None:
    con = duckdb.connect(str(warehouse.warehouse), read_only=True)
    try:
        leeds = default_unit_costs(con, "383", 2025)
        england = default_unit_costs(con, None, 2025)
    finally:
        con.close()
    # Leeds as LAIT publishes it: fostering £385 (2023-24) then £270 (2024-25), residential
    # £6,780 then £8,625; the all-children average £1,575 then £1,905 (+21%) stays quiet.
    assert leeds.cautions["fostering"].startswith(
        "unit_cost_fostering_weekly (LA 383) fell 30% in one year, from £385 in 2023-24 "
        "to £270 in 2024-25"
    )
    assert "rose 27%" in leeds.cautions["residential"]
    assert set(leeds.cautions) == {"fostering", "residential"}
    assert england.cautions == {}
    own = read_unit_costs(_csv(tmp_path, "own.csv", [("fostering", "400")]), leeds)
    assert set(own.cautions) == {"residential"}
    assert own.to_dict()["cautions"] == own.cautions


def test_unit_costs_file_overrides_and_names_bad_rows(tmp_path: Path) -> None:
    base = read_unit_costs(_csv(tmp_path, "all.csv", [(g, "100") for g in GROUPS]))
    path = _csv(tmp_path, "some.csv", [("residential", "£6,500")])
    got = read_unit_costs(path, base)
    assert got.costs["residential"] == 6500.0 and got.costs["fostering"] == 100.0
    assert got.sources["residential"] == "some.csv row 2"
    with pytest.raises(SourceFileError, match="row 3, column 'group': unknown group 'resi'"):
        read_unit_costs(_csv(tmp_path, "b.csv", [("fostering", "1"), ("resi", "2")]), base)
    with pytest.raises(SourceFileError, match="row 2, column 'weekly_cost'"):
        read_unit_costs(_csv(tmp_path, "n.csv", [("fostering", "-4")]), base)
    with pytest.raises(SourceFileError, match="no weekly_cost for"):
        read_unit_costs(_csv(tmp_path, "p.csv", [("fostering", "4")]))


def _csv(folder: Path, name: str, rows: list[tuple[str, str]]) -> Path:
    path = folder / name
    lines = ["group,weekly_cost", *(f'{g},"{c}"' for g, c in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_national_backtest_follows_the_aggregate_formula(warehouse: Settings) -> None:
    con = duckdb.connect(str(warehouse.warehouse), read_only=True)
    try:
        rows = backtest_national(con)
    finally:
        con.close()
    last = next(r for r in rows if r.origin == 2024 and r.horizon == 1)
    # England's published figures (rounded to 10): at31 2022-2025, starts, ceased.
    at31 = {2022: 82090, 2023: 83750, 2024: 83530, 2025: 81770}
    starts = {2023: 33090, 2024: 33130}
    ceased = {2023: 31850, 2024: 33780}
    e = (starts[2023] + starts[2024]) / 2
    q = (
        ceased[2023] / (at31[2022] + starts[2023]) + ceased[2024] / (at31[2023] + starts[2024])
    ) / 2
    assert last.forecast == pytest.approx((1 - q) * (at31[2024] + e))
    assert (last.actual, last.baseline) == (81770, 83530)
    assert {r.horizon for r in rows} == {1, 2, 3}


def test_summarise_backtest_scores_against_last_value() -> None:
    from cscwatch.models._placements_backtest import BacktestRow

    rows = [
        BacktestRow("1", 2022, 2023, 1, "all", 100, 90, 110, 80, 120, 104, 90),
        BacktestRow("2", 2022, 2023, 1, "all", 50, 45, 55, 40, 60, 70, 60),
    ]
    (s,) = summarise_backtest(rows)
    assert s["mae_model"] == pytest.approx(12.0) and s["mae_last_value"] == pytest.approx(12.0)
    assert s["coverage80"] == 0.5 and s["coverage95"] == 0.5


def test_cli_forecast(cli: Cli, warehouse: Settings, tmp_path: Path) -> None:
    env = {"CSCWATCH_WAREHOUSE": str(warehouse.warehouse)}
    run = cli
    code, _, err = run(
        "cla", "synth", "-a", "Darlington", "--years", "2024-2025", "--out",
        str(tmp_path / "s"), env=env,
    )  # fmt: skip
    assert code == 0, err
    dirs = [str(tmp_path / "s" / "841_2024"), str(tmp_path / "s" / "841_2025")]
    code, out, err = run(
        "cla", "forecast", *dirs, "--years", "1", "--n-boot", "10", "--authority",
        "Darlington", "--scenario", "residential-to-fostering=0.5", "--format", "csv", env=env,
    )  # fmt: skip
    assert code == 0, err
    frame = pd.read_csv(__import__("io").StringIO(out), dtype=str)
    assert set(frame["group"]) == {*GROUPS, "all"} and set(frame["year"]) == {"2026"}
    assert "cost_difference" in frame.columns and "scenario_cost_low" in frame.columns
    code, out, err = run(
        "cla", "forecast", *dirs, "--years", "2", "--n-boot", "10", "--authority",
        "Darlington", "--scenario", "residential-to-fostering=0.5", env=env,
    )  # fmt: skip
    assert code == 0, err
    assert "-£0" not in out and "cash prices of 2024-25" in " ".join(out.split())
    assert "year-to-year drift measured on every authority's" in " ".join(out.split())
    assert "Caution" not in out  # Darlington's costs moved less than a quarter
    # Leeds's published fostering cost fell 30% in a year: the forecast says so.
    code, out, err = run(
        "cla", "forecast", *dirs, "--years", "1", "--n-boot", "10", "--authority", "Leeds",
        "--format", "json", env=env,
    )  # fmt: skip
    assert code == 0, err
    assert set(json.loads(out)["unit_cost_cautions"]) == {"fostering", "residential"}
    code, _, err = run("cla", "forecast", dirs[1], env=env)
    assert code == 2 and "two or more years" in err and err.count("\n") == 1
    code, _, err = run("cla", "forecast", *dirs, "--scenario", "fostering-to-mars=1", env=env)
    assert code == 2 and "--scenario" in err


# --------------------------------------------------------------------------- drift


def test_drift_is_measured_on_published_figures_up_to_the_origin(warehouse: Settings) -> None:
    from cscwatch.models.placements import estimate_drift

    con = duckdb.connect(str(warehouse.warehouse), read_only=True)
    try:
        latest = estimate_drift(con, 2025)
        early = estimate_drift(con, 2020)
        england = estimate_drift(con, 2025, geo_level="national")
    finally:
        con.close()
    for d in (latest, early, england):
        for v in (d.entries, d.leaving, *d.mix.values()):
            assert len(v) == 3 and all(x >= 0 for x in v)
            assert list(v) == sorted(v)  # non-decreasing with the horizon
    # Starts and ceased are published from 2016, the LAIT shares from 2020: with
    # figures up to 2020 only, no share can be seen two years and then a year later.
    assert early.n["entries"] > 0 and all(early.n[g] == 0 for g in GROUPS)
    assert latest.n["entries"] > early.n["entries"] and latest.n["fostering"] > 0
    # An authority's starts drift more than England's (which averages 150 of them).
    assert latest.entries[0] > england.entries[0] > 0
    assert -1 <= latest.correlation <= 1 and england.n["entries"] == 8
    assert "up to 2025" in latest.source


def test_leaving_factor_keeps_rows_summing_to_one(synthetic: list[ReturnYear]) -> None:
    from cscwatch.models.placements import _cum

    rates = fit_rates(monthly_states(synthetic))
    same = _cum(rates.transition, 1.0)
    assert same == pytest.approx(np.cumsum(rates.transition, axis=2))
    more = _cum(rates.transition, 1.5)
    out = more[..., -1] - more[..., -2]  # the last column's own chance
    assert out == pytest.approx(np.minimum(rates.transition[..., -1] * 1.5, 1.0))
    assert (np.diff(more, axis=2) >= -1e-12).all() and (more[..., -1] == 1.0).all()


def test_drift_widens_intervals_and_keeps_the_centre(
    synthetic: list[ReturnYear], warehouse: Settings
) -> None:
    from cscwatch.models.placements import estimate_drift

    con = duckdb.connect(str(warehouse.warehouse), read_only=True)
    try:
        drift = estimate_drift(con, 2025)
    finally:
        con.close()

    def total(d: Drift | None) -> np.ndarray:
        model = PlacementModel(synthetic, horizon=3, n_boot=60, seed=9, unit_costs=FLAT, drift=d)
        return model.fit().draws.sum(axis=2)

    plain, drifting = total(None), total(drift)

    def width(x: np.ndarray) -> np.ndarray:
        return np.asarray(np.quantile(x, 0.975, axis=0) - np.quantile(x, 0.025, axis=0))

    assert (width(drifting) > width(plain)).all()
    assert width(drifting)[2] > width(drifting)[0]  # wider further ahead
    # The median moves by less than the plain interval's half-width.
    assert (abs(np.median(drifting, 0) - np.median(plain, 0)) < width(plain) / 2).all()


def test_national_backtest_intervals_only_once_drift_can_be_measured(
    warehouse: Settings,
) -> None:
    from cscwatch.models._placements_backtest import NATIONAL_MIN_PAIRS

    con = duckdb.connect(str(warehouse.warehouse), read_only=True)
    try:
        rows = backtest_national(con)
    finally:
        con.close()
    with_int = [r for r in rows if r.low95 is not None]
    assert with_int and len(with_int) < len(rows)
    # England's series starts in 2016: an origin o has o - 2016 - 2 pairs before it.
    assert min(r.origin for r in with_int) == 2016 + 2 + NATIONAL_MIN_PAIRS
    for r in with_int:
        assert r.low95 is not None and r.high95 is not None
        assert r.low80 is not None and r.high80 is not None
        assert r.low95 <= r.low80 <= r.forecast <= r.high80 <= r.high95


def test_coverage_interval_brackets_the_share() -> None:
    from cscwatch.models._placements_backtest import coverage_interval

    hits = [True] * 6 + [False] * 4
    lo, hi = coverage_interval(hits, list("aabbccddee"))
    assert lo <= 0.6 <= hi and 0 <= lo < hi <= 1
    assert coverage_interval([True, True], ["a", "b"]) == (1.0, 1.0)


def test_scenario_rows_carry_their_own_intervals(synthetic: list[ReturnYear]) -> None:
    fc = PlacementModel(synthetic, horizon=1, n_boot=30, seed=3, unit_costs=FLAT,
                        scenario=Scenario("r", 0.5)).fit()  # fmt: skip
    frame = fc.to_frame()
    for col in ("scenario_children", "scenario_cost"):
        assert (frame[f"{col}_low"] <= frame[col]).all()
        assert (frame[col] <= frame[f"{col}_high"]).all()


def test_price_base_names_the_outturn_year_or_the_file(warehouse: Settings, tmp_path: Path) -> None:
    con = duckdb.connect(str(warehouse.warehouse), read_only=True)
    try:
        costs = default_unit_costs(con, "352", 2025)
    finally:
        con.close()
    assert costs.price_base == (
        "cash prices of 2024-25 (section 251 outturn unit costs via LAIT); no inflation applied"
    )
    mine = read_unit_costs(_csv(tmp_path, "mine.csv", [("residential", "6000")]), costs)
    assert "prices as given in mine.csv" in mine.price_base
    assert "residential" not in mine.years and mine.years["fostering"] == 2025


@pytest.mark.parametrize(
    ("value", "text"),
    [(-1e-9, "£0"), (-0.4, "£0"), (-40_000.0, "-£40k"), (2_345_678.0, "£2.3m"),
     (-999_960.0, "-£1.0m"), (0.0, "£0"), ("c", "c"), (499.0, "£0"), (500.0, "£1k")],
)  # fmt: skip
def test_pounds_never_show_a_negative_zero(value: object, text: str) -> None:
    from cscwatch.serve.cli.cla_synth import _pounds

    assert _pounds(value) == text


def test_intervals_shown_are_those_the_methods_page_validated() -> None:
    import json

    from cscwatch.models._placements_page import validated
    from cscwatch.models.placements import INTERVAL_GROUPS

    path = Path(__file__).parents[2] / "docs" / "methods" / "results" / "placements.json"
    overall = json.loads(path.read_text(encoding="utf-8"))["synthetic"]["overall_coverage"]
    drift = overall["with_drift"]
    assert ("all" in INTERVAL_GROUPS) == all(validated(drift["all"], lv) for lv in ("80", "95"))
    groups_ok = all(validated(drift["groups"], lv) for lv in ("80", "95"))
    assert (set(GROUPS) <= INTERVAL_GROUPS) == groups_ok
    # The drift is what made the difference: without it not even the total validated.
    assert not validated(overall["without_drift"]["all"], "95")


def test_disclosed_withholds_intervals_that_did_not_validate(
    synthetic: list[ReturnYear],
) -> None:
    from cscwatch.models.placements import INTERVAL_GROUPS

    safe = disclosed(PlacementModel(synthetic, horizon=1, n_boot=10, seed=2, unit_costs=FLAT).fit())
    shown = safe["group"].isin(INTERVAL_GROUPS)
    assert shown.any() and (~shown).any()
    assert safe.loc[~shown, ["children_low", "cost_high"]].isna().all().all()
    assert safe.loc[shown, "children_low"].notna().all()
    assert set(safe["interval"]) == {"validated", "withheld: not validated"}
