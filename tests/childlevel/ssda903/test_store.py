"""The SSDA903 child store (``cla load``): round trip, idempotence, refusal, pseudonyms,
and measures and journeys from the store equal to those from the files.

Returns: synthetic Rutland (857) and Hartlepool (805) for 2023 to 2025 (``cla synth``,
seed 3, with postcodes), written once per module.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from cscwatch.childlevel.cin.store import connect_child_store
from cscwatch.childlevel.ssda903.journeys import (
    ClaJourneyData,
    ClaJourneyModel,
    cla_journey_counts,
    cla_journey_data,
)
from cscwatch.childlevel.ssda903.measures import compute_cla_measures
from cscwatch.childlevel.ssda903.postcodes import reference_postcodes
from cscwatch.childlevel.ssda903.reader import read_return
from cscwatch.childlevel.ssda903.store import (
    RETURN_TABLE,
    ReturnSource,
    ReturnYear,
    folder_return,
    load_returns,
    load_store_returns,
    measure_store,
    store_table,
    stored_postcodes,
    stored_returns,
    stored_years,
)
from cscwatch.childlevel.ssda903.tables import TABLES
from cscwatch.core.config import Settings
from cscwatch.core.database import connect_duckdb
from cscwatch.core.errors import InputError
from cscwatch.synth.ssda903 import write_synthetic_returns

Cli = Callable[..., tuple[int, str, str]]
YEARS = (2023, 2024, 2025)


@pytest.fixture(scope="module")
def returns(warehouse: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cla-store") / "synth"
    wcon = connect_duckdb(warehouse.warehouse, read_only=True)
    try:
        write_synthetic_returns(wcon, ["857", "805"], YEARS, 3, out, cache_dir=warehouse.cache_dir)
    finally:
        wcon.close()
    return out


def _settings(tmp_path: Path) -> Settings:
    return Settings(child_store=tmp_path / "child.duckdb", cache_dir=tmp_path / "cache")


def _sources(folder: Path, names: list[str]) -> list[ReturnSource]:
    out = []
    for n in names:
        la, year = folder_return(folder / n) or ("", 0)
        out.append(ReturnSource((folder / n,), la))
        assert year in YEARS
    return out


def _load(
    settings: Settings, folder: Path, names: list[str], *, replace: bool = False
) -> list[str]:
    con = connect_child_store(settings)
    try:
        done = load_store_returns(con, _sources(folder, names), settings, replace=replace)
    finally:
        con.close()
    return [s.status for s in done]


def _all_rows(settings: Settings) -> dict[str, int]:
    con = connect_child_store(settings, read_only=True)
    try:
        names = [RETURN_TABLE, *(store_table(t) for t in TABLES)]
        return {n: int(con.execute(f"SELECT count(*) FROM {n}").fetchall()[0][0]) for n in names}
    finally:
        con.close()


ALL = [f"{la}_{y}" for la in ("857", "805") for y in YEARS]


@pytest.fixture(scope="module")
def loaded(returns: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, list[str]]:
    """A child store holding every return of ``returns``, loaded once, and the load's
    statuses. Tests read it; a test that changes a store loads its own."""
    settings = _settings(tmp_path_factory.mktemp("stored"))
    return settings, _load(settings, returns, ALL)


def test_round_trip_keeps_every_row_by_authority_and_year(
    returns: Path, loaded: tuple[Settings, list[str]]
) -> None:
    settings, statuses = loaded
    assert statuses == ["loaded"] * 6
    con = connect_child_store(settings, read_only=True)
    try:
        stored = stored_returns(con)
        assert list(zip(stored.la_code, stored.year, strict=True)) == [
            ("805", 2023), ("805", 2024), ("805", 2025),
            ("857", 2023), ("857", 2024), ("857", 2025),
        ]  # fmt: skip
        assert stored.synthetic.all()
        for name in ALL:
            la, year = name.split("_")
            ret = read_return([returns / name], settings=settings)
            for table, frame in ret.tables.items():
                got = con.execute(
                    f"SELECT count(*) FROM {store_table(table)} WHERE la_code = ? AND year = ?",
                    [la, int(year)],
                ).fetchall()[0][0]
                assert got == len(frame), (name, table)
            # the pseudonyms are the reader's (the same keyed hash as the CIN census)
            children = {
                r[0]
                for r in con.execute(
                    f"SELECT child FROM {store_table('header')} WHERE la_code = ? AND year = ?",
                    [la, int(year)],
                ).fetchall()
            }
            assert children == set(ret.tables["header"]["CHILD"])
            # the return's tables as read (staged in a batch, recorded at the commit)
            row = stored[(stored.la_code == la) & (stored.year == int(year))]
            assert list(row["tables"].iloc[0]) == sorted(ret.tables)
    finally:
        con.close()
    # the load's staging file is gone
    assert not Path(f"{settings.child_store}.loading").exists()


def test_loading_the_same_returns_again_changes_nothing(returns: Path, tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    _load(settings, returns, ALL[:3])
    before = _all_rows(settings)
    # the same folders again, and the same files under another name
    copy = tmp_path / "again" / "857_2023"
    shutil.copytree(returns / "857_2023", copy)
    assert _load(settings, returns, ALL[:3]) == ["unchanged"] * 3
    assert _load(settings, copy.parent, ["857_2023"]) == ["unchanged"]
    assert _all_rows(settings) == before


def test_a_different_return_is_refused_without_replace(returns: Path, tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    _load(settings, returns, ALL[:2])
    before = _all_rows(settings)
    changed = tmp_path / "new" / "857_2024"
    shutil.copytree(returns / "857_2024", changed)
    eps = (changed / "episodes.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (changed / "episodes.csv").write_text("".join(eps[:-1]), encoding="utf-8")  # one fewer
    # with a new return beside it: the whole load is refused, nothing stored
    with pytest.raises(InputError, match=r"different return for LA 857, 2024.*--replace"):
        _load(settings, tmp_path / "new", ["857_2024"])
    shutil.copytree(returns / "857_2025", tmp_path / "new" / "857_2025")
    con = connect_child_store(settings)
    try:
        srcs = [*_sources(tmp_path / "new", ["857_2025", "857_2024"])]
        with pytest.raises(InputError, match="--replace"):
            load_store_returns(con, srcs, settings)
    finally:
        con.close()
    assert _all_rows(settings) == before
    assert _load(settings, tmp_path / "new", ["857_2024"], replace=True) == ["replaced"]
    after = _all_rows(settings)
    assert after[store_table("episodes")] == before[store_table("episodes")] - 1
    assert after[RETURN_TABLE] == before[RETURN_TABLE]


def test_the_same_return_as_another_authority_year_is_refused(
    returns: Path, tmp_path: Path
) -> None:
    settings = _settings(tmp_path)
    _load(settings, returns, ["857_2023"])
    shutil.copytree(returns / "857_2023", tmp_path / "x" / "805_2023")
    with pytest.raises(InputError, match="already stored as LA 857, 2023"):
        _load(settings, tmp_path / "x", ["805_2023"])


def test_the_same_return_twice_in_one_load_is_refused(returns: Path, tmp_path: Path) -> None:
    # two folders holding one return's bytes in one load (one batch): refused, nothing stored
    shutil.copytree(returns / "857_2023", tmp_path / "x" / "857_2023")
    shutil.copytree(returns / "857_2023", tmp_path / "x" / "805_2023")
    settings = _settings(tmp_path)
    with pytest.raises(InputError, match="given in this load as LA 857, 2023"):
        _load(settings, tmp_path / "x", ["857_2023", "805_2023"])
    con = connect_child_store(settings, read_only=True)
    try:
        assert stored_returns(con).empty
    finally:
        con.close()
    assert not Path(f"{settings.child_store}.loading").exists()


def test_an_empty_return_may_repeat_its_bytes_in_another_year(
    returns: Path, tmp_path: Path
) -> None:
    # The Isles of Scilly's returns hold no child: header-only files, the same bytes every
    # year. They are two returns, not one mislabelled folder.
    settings = _settings(tmp_path)
    for name in ("420_2023", "420_2024"):
        folder = tmp_path / "x" / name
        shutil.copytree(returns / "857_2023", folder)
        for f in folder.iterdir():
            f.write_text(f.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    assert _load(settings, tmp_path / "x", ["420_2023", "420_2024"]) == ["loaded", "loaded"]
    assert _all_rows(settings)[RETURN_TABLE] == 2
    assert _load(settings, tmp_path / "x", ["420_2023", "420_2024"]) == ["unchanged"] * 2


def test_no_raw_identifier_in_the_store(returns: Path, tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    _load(settings, returns, ["857_2025"])
    raw = pd.read_csv(returns / "857_2025" / "header.csv", dtype=str)
    ids = set(raw["CHILD"]) | set(raw["UPN"].dropna())
    assert ids
    data = settings.child_store.read_bytes()  # type: ignore[union-attr]
    assert not [i for i in ids if i.encode() in data]
    con = connect_child_store(settings, read_only=True)
    try:
        for t in TABLES:
            cols = [r[0] for r in con.execute(f"DESCRIBE {store_table(t)}").fetchall()]
            for c in cols:
                hit = con.execute(
                    f'SELECT count(*) FROM {store_table(t)} WHERE "{c}"::VARCHAR IN '
                    "(SELECT unnest(?::VARCHAR[]))",
                    [sorted(ids)],
                ).fetchall()[0][0]
                assert hit == 0, (t, c)
    finally:
        con.close()


def test_measures_from_the_store_equal_measures_from_the_files(
    returns: Path, loaded: tuple[Settings, list[str]], warehouse: Settings
) -> None:
    settings, _ = loaded
    con = connect_child_store(settings, read_only=True)
    try:
        ref = reference_postcodes(stored_postcodes(con, 2025), warehouse.cache_dir)
        stored = {m.la_code: m for m in measure_store(con, 2025, postcodes=ref)}
        first = measure_store(con, 2023, ["857"])[0]
    finally:
        con.close()
    assert sorted(stored) == ["805", "857"]
    for la in ("805", "857"):
        cur = read_return([returns / f"{la}_2025"], settings=settings).tables
        prev = read_return([returns / f"{la}_2024"], settings=settings).tables
        files = compute_cla_measures(
            connect_duckdb(), cur, la_code=la, year=2025, previous=prev, postcodes=ref
        )
        assert stored[la].notes == files.notes
        assert ("distance" in files.counts) == (ref is not None)
        assert list(stored[la].counts) == list(files.counts)
        for layout, frame in files.counts.items():
            pd.testing.assert_frame_equal(stored[la].counts[layout], frame, check_dtype=False)
    # the earliest year stored has no previous return: as files without --previous
    cur = read_return([returns / "857_2023"], settings=settings).tables
    alone = compute_cla_measures(connect_duckdb(), cur, la_code="857", year=2023)
    assert first.notes == alone.notes and first.notes
    for layout, frame in alone.counts.items():
        pd.testing.assert_frame_equal(first.counts[layout], frame, check_dtype=False)


def _memory_data(returns: Path, la: str, settings: Settings) -> pd.DataFrame:
    con = connect_duckdb()
    load_returns(
        con,
        [
            ReturnYear(y, read_return([returns / f"{la}_{y}"], settings=settings).tables)
            for y in YEARS
        ],
    )
    return cla_journey_data(con).spells


def test_journeys_national_and_per_authority_equal_the_files(
    returns: Path, loaded: tuple[Settings, list[str]]
) -> None:
    settings, _ = loaded
    con = connect_child_store(settings, read_only=True)
    try:
        national = cla_journey_data(con, stored=True).spells
        per_la = {la: cla_journey_data(con, stored=True, authority=la) for la in ("805", "857")}
        counts = cla_journey_counts(con, stored=True)
        with pytest.raises(InputError, match="no SSDA903 return for LA 999"):
            cla_journey_counts(con, stored=True, authority="999")
    finally:
        con.close()
    key = ["event", "child", "start"]
    parts = []
    for la, data in per_la.items():
        assert data.returns == 3
        files = _memory_data(returns, la, settings)
        stored = data.spells.assign(child=data.spells.child.str.removeprefix(f"{la}:"))
        pd.testing.assert_frame_equal(
            stored.sort_values(key).reset_index(drop=True),
            files.sort_values(key).reset_index(drop=True),
        )
        parts.append(data.spells)
    pd.testing.assert_frame_equal(
        national.sort_values(key).reset_index(drop=True),
        pd.concat(parts).sort_values(key).reset_index(drop=True),
    )
    # counted in the database: the same curves as fitted from the spells
    from_counts = ClaJourneyModel(counts, groups=["age", "placement"]).fit()
    rows = ClaJourneyData(spells=national, children=int(national.child.nunique()), returns=6)
    from_rows = ClaJourneyModel(rows, groups=["age", "placement"]).fit()
    pd.testing.assert_frame_equal(from_counts.to_frame(), from_rows.to_frame())
    assert from_counts.n_returns == 6


def test_cli_load_measures_journeys(returns: Path, tmp_path: Path, cli: Cli) -> None:
    store = tmp_path / "child.duckdb"
    dirs = [str(returns / n) for n in ALL]
    code, out, err = cli("cla", "load", *dirs, "--child-store", str(store), "-f", "json", "-q")
    assert code == 0, err
    rows = json.loads(out)["returns"]
    assert [r["status"] for r in rows] == ["loaded"] * 6
    code, out, _ = cli("cla", "load", *dirs[:1], "--child-store", str(store), "-f", "json", "-q")
    assert code == 0 and json.loads(out)["returns"][0]["status"] == "unchanged"
    # a folder not named <LA>_<year> needs --la-code
    odd = tmp_path / "rutland"
    shutil.copytree(returns / "857_2023", odd)
    code, _, err = cli("cla", "load", str(odd), "--child-store", str(store), "-q")
    assert code == 2 and "--la-code" in err and "Traceback" not in err
    code, out, err = cli(
        "cla", "load", str(odd), "--la-code", "Rutland", "--child-store", str(store),
        "-f", "json", "-q",
    )  # fmt: skip
    assert code == 0, err
    row = json.loads(out)["returns"][0]
    assert (row["la_code"], row["year"], row["status"]) == ("857", 2023, "unchanged")
    code, out, err = cli(
        "cla", "measures", "--child-store", str(store), "--year", "2025", "-a", "Rutland",
        "--no-postcodes", "-f", "json", "-q",
    )  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["la_code"] == "857"
    code, out, err = cli(
        "cla", "measures", "--child-store", str(store), "--year", "2025", "--no-postcodes",
        "-f", "csv", "-q",
    )  # fmt: skip
    assert code == 0, err
    assert {"805", "857"} <= {line.split(",")[0] for line in out.splitlines()[1:]}
    code, out, err = cli(
        "cla", "journeys", "--child-store", str(store), "--by", "none", "-f", "json", "-q"
    )
    assert code == 0, err
    assert json.loads(out)["years"] == list(YEARS)
    code, _, err = cli("cla", "measures", "--year", "2025", "-q")
    assert code == 2 and "--child-store" in err
    code, _, err = cli("cla", "journeys", "-q")
    assert code == 2 and "--child-store" in err


def test_in_memory_journeys_still_need_no_store(returns: Path, tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    con: duckdb.DuckDBPyConnection = connect_duckdb()
    load_returns(
        con, [ReturnYear(2025, read_return([returns / "805_2025"], settings=settings).tables)]
    )
    with pytest.raises(ValueError, match="child store only"):
        cla_journey_data(con, authority="805")
    assert cla_journey_data(con).returns == 1


def test_former_authorities_load_by_number_and_names_stay_current(tmp_path: Path) -> None:
    # Poole (836), Bournemouth (837) and Dorset (835) were abolished in April 2019: the
    # looked-after file lists only their successors, but their old returns can be stored.
    from cscwatch.childlevel.ssda903.measures import cla_authority_lookup
    from cscwatch.serve.cli.cla_store import resolve_la

    settings = _settings(tmp_path)
    assert [resolve_la(c, settings) for c in ("835", "836", "837")] == ["835", "836", "837"]
    assert resolve_la("Dorset", settings) == "838"
    assert resolve_la("Bournemouth", settings) == "839"
    with pytest.raises(InputError):
        resolve_la("999", settings)
    labels = cla_authority_lookup(settings.snapshot_dir, former=True)
    assert labels["836"].name == "Poole" and labels["838"].name == "Dorset"
    assert "836" not in cla_authority_lookup(settings.snapshot_dir)


def test_journeys_over_the_panel_equal_loading_one_year_at_a_time(
    returns: Path, loaded: tuple[Settings, list[str]], tmp_path: Path
) -> None:
    # Issue 15, item 4: the linked panel loaded in one go, and the same children loaded
    # one collection year per load (latest first), give the same spells and curves; and
    # children are followed across years (clocks that end in a later collection year).
    settings, _ = loaded
    apart = _settings(tmp_path)
    for year in reversed(YEARS):
        assert _load(apart, returns, [f"{la}_{year}" for la in ("857", "805")]) == ["loaded"] * 2
    fits, spells = [], []
    for s in (settings, apart):
        con = connect_child_store(s, read_only=True)
        try:
            fits.append(ClaJourneyModel(cla_journey_counts(con, stored=True), groups=["age"]).fit())
            spells.append(cla_journey_data(con, stored=True).spells)
        finally:
            con.close()
    pd.testing.assert_frame_equal(fits[0].to_frame(), fits[1].to_frame())
    assert (fits[0].n_spells, fits[0].n_returns) == (fits[1].n_spells, 6)
    key = ["event", "child", "start"]
    pd.testing.assert_frame_equal(
        spells[0].sort_values(key).reset_index(drop=True),
        spells[1].sort_values(key).reset_index(drop=True),
    )
    national = spells[0]
    start = pd.to_datetime(national["start"])
    end = start + pd.to_timedelta(national["duration"], unit="D")
    year_of = {
        "start": start.dt.year + (start.dt.month >= 4),
        "end": end.dt.year + (end.dt.month >= 4),
    }
    across = national["observed"] & (year_of["end"] > year_of["start"])
    assert across.sum() > 0
    assert national.loc[across, "event"].isin(["left_care", "placement_move"]).any()


def test_measures_of_every_stored_year_are_each_years_measures(
    loaded: tuple[Settings, list[str]], tmp_path: Path, cli: Cli
) -> None:
    settings, _ = loaded
    store = str(settings.child_store)
    con = connect_child_store(settings, read_only=True)
    try:
        assert stored_years(con) == list(YEARS)
        assert stored_years(con, ["857"]) == list(YEARS)
        with pytest.raises(InputError, match="no SSDA903 return for LA 999"):
            stored_years(con, ["999"])
        # postcodes of several years: the union of each year's (and the year before's)
        assert stored_postcodes(con, [2024, 2025]) == stored_postcodes(
            con, 2024
        ) | stored_postcodes(con, 2025)
    finally:
        con.close()
    at = ["--child-store", store, "--no-postcodes", "-q"]
    # every year at once, not quiet: the JSON of every year, and the notes on stderr
    code, out, err = cli("cla", "measures", *at[:-1], "-f", "json")
    assert code == 0, err
    every = json.loads(out)
    # the earliest year has no previous return: said, with the year, for each authority
    assert "LA 805, 2023: not computed: placement stability over 2 years" in err
    assert "LA 805, 2024: not computed: placement stability" not in err
    per_year = []
    for y in YEARS:
        code, out, err = cli("cla", "measures", *at, "--year", str(y), "-f", "json")
        assert code == 0, err
        per_year += json.loads(out)
    assert every == per_year
    assert [(m["year"], m["la_code"]) for m in every] == [
        (y, la) for y in YEARS for la in ("805", "857")
    ]
    # one authority, every year, as a table with the years; --out a folder per year
    code, out, err = cli("cla", "measures", *at, "-a", "857", "--out", str(tmp_path / "m"))
    assert code == 0, err
    assert "years ending 31 March 2023 to 2025" in out and "Year" in out
    for y in YEARS:
        assert (
            tmp_path / "m" / str(y) / "857" / "la_cla_placement_stability_provisional.csv"
        ).is_file()
    # a return given as files still needs its year
    code, _, err = cli("cla", "measures", store, "-a", "857", "-q")
    assert code == 2 and "--year" in err and "Traceback" not in err


def test_an_empty_store_has_no_years(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    con = connect_child_store(settings)
    try:
        with pytest.raises(InputError, match="holds no SSDA903 return"):
            stored_years(con)
    finally:
        con.close()
