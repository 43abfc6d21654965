"""The bundled snapshot's manifest: schema, checksums, and the refresh script."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cscwatch.core.errors import SourceFileError
from cscwatch.ingest.snapshot import (
    MANIFEST_NAME,
    Manifest,
    ManifestEntry,
    load_manifest,
    refresh_manifest,
    verify_snapshot,
    write_manifest,
)

ROOT = Path(__file__).resolve().parents[2]
REPO_SNAPSHOT = ROOT / "data" / "snapshot"
OGL = "Open Government Licence v3.0"
SMALL = ("sn_model_2025_wide.csv", "LTLA-UTLA_Apr23_Lookup_England-Wales.csv")


# -------------------------------------------------------------- the bundled snapshot


def test_bundled_manifest_lists_every_file_with_the_right_checksum() -> None:
    # Another engineer's new derived file fails here until it is described:
    #   python scripts/make_manifest.py add FILE --publisher ... --title ... \
    #       --derived-from SOURCE --command "python scripts/..."
    report = verify_snapshot(REPO_SNAPSHOT)
    assert report.unlisted == [], (
        f"files in data/snapshot missing from manifest.json: {report.unlisted}; "
        "add them with scripts/make_manifest.py add (see docs/snapshot.md)"
    )
    # Optional files (GDP deflator, full section 251 outturn) may be listed but absent.
    assert len(report.checked) + len(report.absent_optional) == len(
        load_manifest(REPO_SNAPSHOT).files
    )


def test_bundled_manifest_entries_are_complete() -> None:
    manifest = load_manifest(REPO_SNAPSHOT)
    for e in manifest.files:
        if e.publisher == "Data to Insight":
            # a compilation under the MIT licence of contents that are Ofsted's, under OGL
            assert e.licence.startswith("MIT Licence") and OGL in e.licence, e.file
            assert "data-to-insight/" in e.licence_url and e.licence_url.endswith("/LICENSE")
        else:
            assert e.licence == OGL, e.file
            assert e.licence_url.startswith("https://www.nationalarchives.gov.uk/"), e.file
        if e.kind == "published":
            # Either a download address or a note saying why there is none.
            assert e.url or e.note, f"{e.file}: no url and no note"
        else:
            assert e.derived_from and e.command, e.file
    # The core published files the product reads are all there.
    names = set(manifest.names)
    for required in (
        "b1_children_in_need_2013_to_2025.csv",
        "cla_number_and_rate_per_10k_children.csv",
        "csww_indicators_2017_to_2025.csv",
        "ons_mid-year_population_estimates_2012_to_2024.csv",
        "bds_long_0.parquet",
        "provider_lookup.csv",
    ):
        assert required in names


def test_bundled_manifest_is_in_canonical_form(tmp_path: Path) -> None:
    # What write_manifest writes, byte for byte, so refreshes make minimal diffs.
    write_manifest(tmp_path, load_manifest(REPO_SNAPSHOT))
    canonical = (tmp_path / MANIFEST_NAME).read_bytes()
    assert canonical == (REPO_SNAPSHOT / MANIFEST_NAME).read_bytes(), (
        "manifest.json was edited by hand; run python scripts/make_manifest.py to rewrite it"
    )


def _script() -> ModuleType:
    """``scripts/make_manifest.py`` as a module, run in-process (no interpreter start-up)."""
    spec = importlib.util.spec_from_file_location(
        "make_manifest", ROOT / "scripts" / "make_manifest.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_refresh_script_check_mode_passes_on_the_bundled_snapshot(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = _script().main(["--check"])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert "manifest up to date" in out


# ---------------------------------------------------------------- on a copy


@pytest.fixture
def snap(tmp_path: Path) -> Path:
    directory = tmp_path / "snapshot"
    directory.mkdir()
    bundled = load_manifest(REPO_SNAPSHOT)
    for name in SMALL:
        shutil.copy2(REPO_SNAPSHOT / name, directory / name)
    write_manifest(directory, Manifest(files=[bundled.entry(n) for n in SMALL]))
    return directory


def test_verify_names_a_changed_file(snap: Path) -> None:
    with (snap / SMALL[0]).open("ab") as fh:
        fh.write(b"999,Nowhere,x,x\n")
    with pytest.raises(SourceFileError, match=r"sn_model_2025_wide\.csv: sha256") as err:
        verify_snapshot(snap)
    assert err.value.path == str(snap / SMALL[0])


def test_verify_names_a_missing_file(snap: Path) -> None:
    (snap / SMALL[1]).unlink()
    with pytest.raises(SourceFileError, match="listed in the manifest but missing"):
        verify_snapshot(snap)


def test_verify_reports_unlisted_files(snap: Path) -> None:
    (snap / "extra.csv").write_text("a\n1\n", encoding="utf-8")
    (snap / ".hidden").write_text("x", encoding="utf-8")
    report = verify_snapshot(snap)
    assert report.unlisted == ["extra.csv"] and not report.ok
    assert sorted(report.checked) == sorted(SMALL)


def test_refresh_keeps_hand_written_fields(snap: Path) -> None:
    before = load_manifest(snap).entry(SMALL[0])
    with (snap / SMALL[0]).open("ab") as fh:
        fh.write(b"999,Nowhere,x,x\n")
    assert refresh_manifest(snap, check=True) == [SMALL[0]]
    assert load_manifest(snap).entry(SMALL[0]) == before  # check mode wrote nothing
    assert refresh_manifest(snap) == [SMALL[0]]
    after = load_manifest(snap).entry(SMALL[0])
    assert before.bytes is not None
    assert after.sha256 != before.sha256 and after.bytes == before.bytes + 16
    same = {"title", "publisher", "url", "note", "retrieved", "source_page", "kind"}
    assert after.model_dump(include=same) == before.model_dump(include=same)
    verify_snapshot(snap)
    assert refresh_manifest(snap) == []


def test_refresh_refuses_unlisted_files(snap: Path) -> None:
    (snap / "extra.csv").write_text("a\n1\n", encoding="utf-8")
    with pytest.raises(SourceFileError, match="not in the manifest"):
        refresh_manifest(snap)


def test_script_add_describes_a_derived_file(snap: Path) -> None:
    (snap / "ofsted_judgements.csv").write_text("la_code,overall\n352,good\n", encoding="utf-8")
    args = ["--dir", str(snap), "add", "ofsted_judgements.csv"]
    args += ["--publisher", "Ofsted", "--title", "Children's services inspection judgements"]
    args += ["--derived-from", "../shared/data/ofsted/reports", "--retrieved", "2026-11-22"]
    args += ["--command", "cscwatch ofsted extract"]
    assert _script().main(args) == 0
    entry = load_manifest(snap).entry("ofsted_judgements.csv")
    assert entry.kind == "derived" and entry.command == "cscwatch ofsted extract"
    assert entry.url is None and entry.licence == OGL
    assert verify_snapshot(snap).ok


# ----------------------------------------------------------------- schema errors


def _write_raw(directory: Path, data: object) -> None:
    (directory / MANIFEST_NAME).write_text(json.dumps(data), encoding="utf-8")


def _entry(**kw: object) -> dict[str, object]:
    base: dict[str, object] = {
        "file": "a.csv",
        "publisher": "DfE",
        "title": "T",
        "retrieved": "2026-11-01",
        "url": None,
    }
    base.update(kw)
    return base


def test_missing_manifest(tmp_path: Path) -> None:
    with pytest.raises(SourceFileError, match="manifest not found"):
        load_manifest(tmp_path)


def test_manifest_not_json(tmp_path: Path) -> None:
    (tmp_path / MANIFEST_NAME).write_text("{", encoding="utf-8")
    with pytest.raises(SourceFileError, match="not readable JSON"):
        load_manifest(tmp_path)


@pytest.mark.parametrize(
    ("entry", "needle"),
    [
        (_entry(publisher="BBC"), "a.csv.publisher"),
        (_entry(sha256="abc"), "a.csv.sha256"),
        (_entry(kind="derived"), "needs derived_from and command"),
        (_entry(command="make"), "has derived_from/command"),
        (_entry(file="../etc/passwd"), "bare file name"),
        (_entry(colour="red"), "a.csv.colour"),
    ],
)
def test_schema_errors_name_the_entry_and_field(
    tmp_path: Path, entry: dict[str, object], needle: str
) -> None:
    _write_raw(tmp_path, {"manifest_version": 1, "files": [entry]})
    with pytest.raises(SourceFileError, match="breaks its schema") as err:
        load_manifest(tmp_path)
    assert needle in str(err.value)


def test_duplicate_entries_are_refused(tmp_path: Path) -> None:
    _write_raw(tmp_path, {"manifest_version": 1, "files": [_entry(), _entry()]})
    with pytest.raises(SourceFileError, match=r"listed more than once: a\.csv"):
        load_manifest(tmp_path)


def test_unhashed_entry_fails_verification(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("x\n1\n", encoding="utf-8")
    _write_raw(tmp_path, {"manifest_version": 1, "files": [_entry()]})
    with pytest.raises(SourceFileError, match="not hashed yet"):
        verify_snapshot(tmp_path)
    assert refresh_manifest(tmp_path) == ["a.csv"]
    assert verify_snapshot(tmp_path).ok


# ------------------------------------------------------------------- round trip

_text = st.text(min_size=1, max_size=20)
_name = st.text(alphabet="abcXYZ019_-.", min_size=1, max_size=20).filter(
    lambda n: n not in {".", ".."}
)
_sha = st.binary(min_size=32, max_size=32).map(bytes.hex)


@st.composite
def _entries(draw: st.DrawFn) -> ManifestEntry:
    derived = draw(st.booleans())
    return ManifestEntry(
        file=draw(_name),
        publisher=draw(st.sampled_from(["DfE", "ONS", "Ofsted"])),
        title=draw(_text),
        retrieved=draw(st.dates()),
        sha256=draw(st.none() | _sha),
        bytes=draw(st.none() | st.integers(0, 10**10)),
        url=draw(st.none() | _text),
        note=draw(st.none() | _text),
        kind="derived" if derived else "published",
        derived_from=draw(st.lists(_text, min_size=1, max_size=3)) if derived else None,
        command=draw(_text) if derived else None,
        previous_sha256=draw(st.none() | _sha),
    )


# No deadline: each example writes and reads a file, which on a loaded machine can take
# longer than hypothesis's default 200 ms (seen: 271 ms once, 14 ms on the re-run).
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(entries=st.lists(_entries(), max_size=4, unique_by=lambda e: e.file))
def test_manifest_round_trips(tmp_path: Path, entries: list[ManifestEntry]) -> None:
    write_manifest(tmp_path, Manifest(files=entries))
    loaded = load_manifest(tmp_path)
    assert sorted(loaded.files, key=lambda e: e.file) == sorted(entries, key=lambda e: e.file)
