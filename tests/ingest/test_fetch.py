"""``cscwatch fetch`` against a real HTTP server on loopback.

Each test works on a copy of part of the bundled snapshot in ``tmp_path``; the real
snapshot is never touched. The server serves whatever a test puts in ``routes``:
good newer files, truncated ones, wrong columns, 404s and a server that stalls.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import random
import re
import shutil
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cscwatch.core.config import Settings
from cscwatch.core.errors import FetchError, InputError
from cscwatch.ingest.fetch import (
    FetchOutcome,
    RetryPolicy,
    _read_csv,
    _Refused,
    _retry_after,
    address_kind,
    fetch_snapshot,
    load_url_overrides,
    parse_url_option,
    source_addresses,
)
from cscwatch.ingest.served_layouts import COLUMN_MAPS, LayoutError, rename_header
from cscwatch.ingest.snapshot import (
    Manifest,
    ManifestEntry,
    load_manifest,
    verify_snapshot,
    write_manifest,
)

REPO_SNAPSHOT = Path(__file__).resolve().parents[2] / "data" / "snapshot"
CSV = "d3_cpps_subsequent_plan_2013_to_2025.csv"
KS4 = "ks4_la.csv"
SMALL = "sn_model_2025_wide.csv"
PARQUET = "bds_long_0.parquet"
TODAY = date(2027, 3, 1)


class _Waits:
    """A RetryPolicy ``sleep`` that records the waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def _fast(attempts: int = 5) -> tuple[RetryPolicy, _Waits]:
    waits = _Waits()
    return RetryPolicy(attempts=attempts, sleep=waits, rng=random.Random(1)), waits


# --------------------------------------------------------------------------- server


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    #: "full" sends everything; "truncate" promises len(body) and sends half;
    #: "stall" sends headers and then nothing until the test ends (``_Server.release``).
    mode: str = "full"
    #: Answers given first, one per request, before the route itself: an HTTP status
    #: with its headers, "drop" (close the connection without answering) or "short"
    #: (promise the whole body, send half of it, close).
    before: list[tuple[int, dict[str, str]] | str] = field(default_factory=list)
    #: Extra headers sent with the answer (e.g. Content-Encoding: gzip, as DfE's API).
    headers: dict[str, str] = field(default_factory=dict)
    #: Send no Content-Length: the body ends when the connection closes (a streamed
    #: answer, as the EES content API's file download can be).
    no_length: bool = False


class _Server:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.release = threading.Event()
        self.hits: list[str] = []
        #: Stalled answers whose stall is over (the test ended, or two minutes passed,
        #: a bound only a broken client timeout reaches): a client that gave up while
        #: this is 0 gave up during the stall.
        self.stalls_ended = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.hits.append(self.path)
                route = server.routes.get(self.path)
                if route is None:
                    self.send_error(404, "not found")
                    return
                if route.before:
                    first = route.before.pop(0)
                    if first == "drop":
                        self.close_connection = True
                        return
                    if first == "short":
                        self.send_response(200)
                        self.send_header("Content-Length", str(len(route.body)))
                        self.end_headers()
                        self.wfile.write(route.body[: len(route.body) // 2])
                        self.wfile.flush()
                        self.close_connection = True
                        return
                    assert not isinstance(first, str)
                    status, headers = first
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(route.status)
                self.send_header("Content-Type", "application/octet-stream")
                if route.no_length:
                    self.close_connection = True
                else:
                    self.send_header("Content-Length", str(len(route.body)))
                for k, v in route.headers.items():
                    self.send_header(k, v)
                self.end_headers()
                if route.mode == "stall":
                    server.release.wait(120)
                    server.stalls_ended += 1
                    return
                if route.mode == "truncate":
                    self.wfile.write(route.body[: len(route.body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(route.body)

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep test output quiet

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()
        host, port = self.httpd.server_address[:2]
        self.base_url = f"http://{host!s}:{port}"

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@pytest.fixture
def server() -> Iterator[_Server]:
    s = _Server()
    try:
        yield s
    finally:
        s.close()


# ------------------------------------------------------------------------- snapshot


def _without_address(entry: ManifestEntry) -> ManifestEntry:
    """A bundled entry standing for a file with no known address (tests never go online)."""
    return entry.model_copy(update={"url": None, "url_confirmed": None})


@pytest.fixture
def snap(tmp_path: Path) -> Path:
    """A copy of three bundled files with their manifest entries, plus a derived file.

    D3 and SMALL have their addresses taken away: they stand for files without one.
    """
    directory = tmp_path / "snapshot"
    directory.mkdir()
    bundled = load_manifest(REPO_SNAPSHOT)
    entries = []
    for name in (CSV, SMALL, PARQUET):
        shutil.copy2(REPO_SNAPSHOT / name, directory / name)
        entry = bundled.entry(name)
        entries.append(entry if name == PARQUET else _without_address(entry))
    (directory / "derived.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    entries.append(
        ManifestEntry(
            file="derived.csv",
            publisher="DfE",
            title="A derived file",
            retrieved=date(2026, 11, 1),
            sha256=hashlib.sha256(b"a,b\n1,2\n").hexdigest(),
            bytes=8,
            kind="derived",
            derived_from=[CSV],
            command="python scripts/make_derived.py",
        )
    )
    write_manifest(directory, Manifest(files=entries))
    return directory


def _settings(directory: Path, timeout: float = 60.0) -> Settings:
    # The product's default timeout: on a loaded machine a good loopback download must
    # never be refused as too slow. Only the stalled-server test shortens it.
    return Settings(snapshot_dir=directory, fetch_timeout=timeout)


def _state(directory: Path) -> dict[str, bytes]:
    """Every file in the folder (staging leftovers included) with its contents."""
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def _newer_csv(directory: Path) -> bytes:
    """The current D3 file plus one more row: what a newer release looks like."""
    data = (directory / CSV).read_bytes()
    last = data.rstrip(b"\n").rsplit(b"\n", 1)[1]
    return data + last.replace(b"2025", b"2026", 1) + b"\n"


def _serve_current(server: _Server, directory: Path, *names: str) -> None:
    for name in names:
        server.routes[f"/{name}"] = Route((directory / name).read_bytes())


# ------------------------------------------------------------------------------ good


def test_newer_file_is_swapped_in_and_manifest_updated(snap: Path, server: _Server) -> None:
    new = _newer_csv(snap)
    server.routes[f"/{CSV}"] = Route(new)
    _serve_current(server, snap, SMALL, PARQUET)
    old_sha = load_manifest(snap).entry(CSV).sha256

    report = fetch_snapshot(_settings(snap), base_url=server.base_url, today=TODAY)

    assert (snap / CSV).read_bytes() == new
    entry = load_manifest(snap).entry(CSV)
    assert entry.sha256 == hashlib.sha256(new).hexdigest()
    assert entry.bytes == len(new)
    assert entry.previous_sha256 == old_sha
    assert entry.retrieved == TODAY
    # Hand-written fields survive the rewrite.
    assert entry.title == "Children in need" and entry.publisher == "DfE"
    status = {o.file: o.status for o in report.outcomes}
    assert status == {
        CSV: "updated",
        SMALL: "unchanged",
        PARQUET: "unchanged",
        "derived.csv": "skipped",
    }
    assert report.changed == [CSV]
    d3 = next(o for o in report.outcomes if o.file == CSV)
    assert d3.rows == 2133 and d3.previous_sha256 == old_sha
    # Unchanged files keep their retrieval date; no staging folder is left behind.
    assert load_manifest(snap).entry(SMALL).retrieved == date(2026, 11, 1)
    assert not [p for p in snap.iterdir() if p.name.startswith(".")]
    verify_snapshot(snap)


def test_dry_run_reports_and_changes_nothing(snap: Path, server: _Server) -> None:
    server.routes[f"/{CSV}"] = Route(_newer_csv(snap))
    before = _state(snap)
    report = fetch_snapshot(
        _settings(snap), base_url=server.base_url, only=[CSV], dry_run=True, today=TODAY
    )
    assert [(o.file, o.status) for o in report.outcomes] == [(CSV, "would update")]
    assert report.to_dict()["dry_run"] is True
    assert _state(snap) == before


def test_per_file_url_beats_manifest_and_base_url(snap: Path, server: _Server) -> None:
    new = _newer_csv(snap)
    server.routes["/elsewhere/d3.csv"] = Route(new)
    fetch_snapshot(
        _settings(snap),
        only=[CSV],
        urls={CSV: f"{server.base_url}/elsewhere/d3.csv"},
        base_url=f"{server.base_url}/nowhere",
        today=TODAY,
    )
    assert (snap / CSV).read_bytes() == new
    assert server.hits == ["/elsewhere/d3.csv"]


def test_newer_parquet_with_the_same_columns_is_accepted(snap: Path, server: _Server) -> None:
    current = pq.read_table(snap / PARQUET)
    buf = io.BytesIO()
    pq.write_table(current.slice(0, 50), buf)
    server.routes[f"/{PARQUET}"] = Route(buf.getvalue())
    report = fetch_snapshot(_settings(snap), base_url=server.base_url, only=[PARQUET], today=TODAY)
    assert report.outcomes[0].status == "updated" and report.outcomes[0].rows == 50
    assert pq.read_table(snap / PARQUET).num_rows == 50


# ------------------------------------------------------------------------- refusals


def _assert_refused(snap: Path, server: _Server, *needles: str, timeout: float = 60.0) -> str:
    before = _state(snap)
    with pytest.raises(FetchError) as err:
        fetch_snapshot(
            _settings(snap, timeout),
            base_url=server.base_url,
            today=TODAY,
            retry=_fast(2)[0],
        )
    assert _state(snap) == before, "a refused fetch must leave the snapshot untouched"
    msg = str(err.value)
    for needle in needles:
        assert needle in msg
    return msg


def test_content_length_mismatch_is_refused(snap: Path, server: _Server) -> None:
    server.routes[f"/{CSV}"] = Route(_newer_csv(snap), mode="truncate")
    _serve_current(server, snap, SMALL, PARQUET)
    _assert_refused(snap, server, CSV, "snapshot not changed")


def test_file_cut_mid_row_is_refused(snap: Path, server: _Server) -> None:
    new = _newer_csv(snap)
    server.routes[f"/{CSV}"] = Route(new[: len(new) - 7])  # honest length, cut mid-row
    _serve_current(server, snap, SMALL, PARQUET)
    _assert_refused(snap, server, CSV, "last line is incomplete")


def test_wrong_columns_are_refused_naming_the_missing_ones(snap: Path, server: _Server) -> None:
    new = _newer_csv(snap).replace(b"CPP_subsequent,", b"cpp_later,", 1)
    server.routes[f"/{CSV}"] = Route(new)
    _serve_current(server, snap, SMALL, PARQUET)
    _assert_refused(snap, server, CSV, "missing columns: CPP_subsequent")


def test_header_only_file_is_refused(snap: Path, server: _Server) -> None:
    header = (snap / CSV).read_bytes().split(b"\n", 1)[0] + b"\n"
    server.routes[f"/{CSV}"] = Route(header)
    _serve_current(server, snap, SMALL, PARQUET)
    _assert_refused(snap, server, CSV, "no data rows")


def test_html_error_page_is_refused(snap: Path, server: _Server) -> None:
    server.routes[f"/{CSV}"] = Route(b"<!DOCTYPE html>\n<html><body>Sorry</body></html>\n")
    _serve_current(server, snap, SMALL, PARQUET)
    _assert_refused(snap, server, CSV, "missing columns: time_period")


def test_http_404_is_refused(snap: Path, server: _Server) -> None:
    _serve_current(server, snap, SMALL, PARQUET)  # no route for the CSV
    _assert_refused(snap, server, CSV, "HTTP 404")


def test_stalled_server_times_out(snap: Path, server: _Server) -> None:
    # Only the stalled file is fetched, so the short timeout applies to it alone (a
    # good download slowed by a loaded machine cannot be what times out).
    server.routes[f"/{CSV}"] = Route(_newer_csv(snap), mode="stall")
    before = _state(snap)
    with pytest.raises(FetchError) as err:
        fetch_snapshot(
            _settings(snap, 0.3),
            base_url=server.base_url,
            only=[CSV],
            today=TODAY,
            retry=_fast(2)[0],
        )
    assert f"{CSV}: no answer from {server.base_url}/{CSV} within 0.3s" in str(err.value)
    assert _state(snap) == before
    # Refused by the client's timeout while the server still held the answer open (no
    # wall-clock bound), and a timeout is not tried again.
    assert server.stalls_ended == 0
    assert server.hits == [f"/{CSV}"]


def test_truncated_parquet_is_refused(snap: Path, server: _Server) -> None:
    body = (snap / PARQUET).read_bytes()
    server.routes[f"/{PARQUET}"] = Route(body[: len(body) // 2])  # honest length, half a file
    _serve_current(server, snap, CSV, SMALL)
    _assert_refused(snap, server, PARQUET, "not a readable parquet file")


def test_parquet_with_missing_columns_is_refused(snap: Path, server: _Server) -> None:
    buf = io.BytesIO()
    pq.write_table(pa.table({"Short Desc": ["x"], "Values": ["1"]}), buf)
    server.routes[f"/{PARQUET}"] = Route(buf.getvalue())
    _serve_current(server, snap, CSV, SMALL)
    _assert_refused(snap, server, PARQUET, "missing columns: Data item, Years")


def test_one_bad_file_stops_every_swap_and_all_failures_are_named(
    snap: Path, server: _Server
) -> None:
    server.routes[f"/{CSV}"] = Route(_newer_csv(snap))  # good
    # SMALL: 404; PARQUET: wrong columns
    buf = io.BytesIO()
    pq.write_table(pa.table({"x": [1]}), buf)
    server.routes[f"/{PARQUET}"] = Route(buf.getvalue())
    msg = _assert_refused(snap, server, SMALL, "HTTP 404", PARQUET, "missing columns")
    assert CSV not in msg


# ---------------------------------------------------------------------- input errors


def test_only_unknown_file_is_an_input_error(snap: Path, server: _Server) -> None:
    with pytest.raises(InputError, match=r"not in the manifest: nope\.csv"):
        fetch_snapshot(_settings(snap), base_url=server.base_url, only=["nope.csv"])


def test_only_derived_file_is_an_input_error(snap: Path, server: _Server) -> None:
    with pytest.raises(InputError, match="derived file, not downloaded; remake it with"):
        fetch_snapshot(_settings(snap), base_url=server.base_url, only=["derived.csv"])


def test_files_without_address_are_skipped(snap: Path, server: _Server) -> None:
    # Without --base-url only the manifest's addresses count: D3 and SMALL have none;
    # the parquet's real address is replaced so the test never leaves loopback.
    _serve_current(server, snap, PARQUET)
    urls = {PARQUET: f"{server.base_url}/{PARQUET}"}
    report = fetch_snapshot(_settings(snap), urls=urls, dry_run=True, today=TODAY)
    status = {o.file: o.status for o in report.outcomes}
    assert status == {
        CSV: "skipped",
        SMALL: "skipped",
        PARQUET: "unchanged",
        "derived.csv": "skipped",
    }
    reasons = {o.file: o.reason or "" for o in report.outcomes}
    assert (
        reasons[CSV] == f"no known download address (manifest note says why); pass --url {CSV}=URL"
    )
    assert reasons["derived.csv"] == (
        "derived file, not downloaded; remake it with: python scripts/make_derived.py"
    )
    with pytest.raises(InputError, match=f"cannot fetch {CSV}: no known download address"):
        fetch_snapshot(_settings(snap), only=[CSV])


def test_parse_url_option() -> None:
    assert parse_url_option(["a.csv=http://x/a?b=c"]) == {"a.csv": "http://x/a?b=c"}
    with pytest.raises(InputError, match="FILE=URL"):
        parse_url_option(["a.csv"])


def test_load_url_overrides(tmp_path: Path) -> None:
    good = tmp_path / "urls.toml"
    good.write_text('[urls]\n"a.csv" = "https://example.org/a.csv"\n', encoding="utf-8")
    assert load_url_overrides(good) == {"a.csv": "https://example.org/a.csv"}
    bad = tmp_path / "bad.toml"
    bad.write_text("urls = 3\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"\[urls\]"):
        load_url_overrides(bad)


# ------------------------------------------------------------------- CSV completeness

_TINY = 'time_period,la_name,value\n2024,Barnet,1\n2025,"Bath, and NE Somerset",2\n'


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(min_value=1, max_value=len(_TINY) - 1))
def test_any_cut_not_on_a_line_end_is_refused(tmp_path: Path, cut: int) -> None:
    path = tmp_path / "cut.csv"
    data = _TINY[:cut]
    path.write_text(data, encoding="utf-8")
    if data.endswith("\n"):
        # Cut exactly at a line end: a well-formed shorter file (Content-Length catches it).
        _, rows = _read_csv(path)
        assert rows == data.count("\n") - 1
    else:
        with pytest.raises(_Refused):
            _read_csv(path)


# -------------------------------------------------------------------- command line

Cli = Callable[..., tuple[int, str, str]]


def test_cli_fetch_json(snap: Path, server: _Server, cli: Cli) -> None:
    server.routes[f"/{CSV}"] = Route(_newer_csv(snap))
    args = ["fetch", "--snapshot", str(snap), "--base-url", server.base_url, "--only", CSV]
    code, out, _ = cli(*args, "--dry-run", "--format", "json")
    assert code == 0
    report = json.loads(out)
    assert report["dry_run"] is True
    assert [(f["file"], f["status"]) for f in report["files"]] == [(CSV, "would update")]
    code, out, _ = cli(*args)
    assert code == 0 and "updated" in out
    verify_snapshot(snap)


def test_cli_fetch_failure_is_one_line_and_exit_2(snap: Path, server: _Server, cli: Cli) -> None:
    before = _state(snap)
    code, _, err = cli(
        "fetch", "--snapshot", str(snap), "--base-url", server.base_url, "--only", CSV
    )
    assert code == 2
    assert err.startswith("error: snapshot not changed; d3_cpps") and err.count("\n") == 1
    assert "HTTP 404" in err and "Traceback" not in err
    assert _state(snap) == before


def test_cli_snapshot_verify_and_manifest(snap: Path, cli: Cli) -> None:
    where = ("--snapshot", str(snap))
    code, out, _ = cli("snapshot", "verify", *where)
    assert code == 0 and "4 files match the manifest" in out
    with (snap / SMALL).open("ab") as fh:
        fh.write(b"999,Nowhere\n")
    code, _, err = cli("snapshot", "verify", *where)
    assert code == 2 and "sn_model_2025_wide.csv: sha256" in err
    code, _, err = cli("snapshot", "manifest", "--check", *where)
    assert code == 2 and "manifest out of date for sn_model" in err
    code, out, _ = cli("snapshot", "manifest", *where)
    assert code == 0 and f"updated {SMALL}" in out
    assert cli("snapshot", "verify", *where)[0] == 0
    (snap / "new.csv").write_text("a\n1\n", encoding="utf-8")
    code, _, err = cli("snapshot", "verify", *where)
    assert code == 2 and "not in the manifest (add with" in err


# ------------------------------------------------------------ optional finance files

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "finance"
DEFLATOR = "gdp_deflators.csv"
S251 = "s251_childrens_young_peoples_services_la_regional_national.csv"


@pytest.fixture
def optional_snap(tmp_path: Path) -> Path:
    """A snapshot whose manifest lists the two optional files, neither downloaded.

    Their addresses are taken away (tests never go online); each test gives its own.
    """
    directory = tmp_path / "snapshot"
    directory.mkdir()
    bundled = load_manifest(REPO_SNAPSHOT)
    shutil.copy2(REPO_SNAPSHOT / SMALL, directory / SMALL)
    entries = [_without_address(bundled.entry(n)) for n in (SMALL, DEFLATOR, S251)]
    write_manifest(directory, Manifest(files=entries))
    return directory


def test_optional_files_absent_are_skipped_not_errors(optional_snap: Path, server: _Server) -> None:
    report = fetch_snapshot(_settings(optional_snap), today=TODAY)
    reasons = {o.file: (o.status, o.reason) for o in report.outcomes}
    assert reasons[DEFLATOR][0] == "skipped" and "--url" in str(reasons[DEFLATOR][1])
    assert reasons[S251][0] == "skipped"
    check = verify_snapshot(optional_snap)
    assert check.absent_optional == [DEFLATOR, S251] and check.checked == [SMALL]


def test_optional_files_in_their_layout_are_fetched(optional_snap: Path, server: _Server) -> None:
    for name in (DEFLATOR, S251):
        server.routes[f"/{name}"] = Route((FIXTURES / name).read_bytes())
    report = fetch_snapshot(
        _settings(optional_snap),
        only=[DEFLATOR, S251],
        urls={n: f"{server.base_url}/{n}" for n in (DEFLATOR, S251)},
        today=TODAY,
    )
    assert {o.file: o.status for o in report.outcomes} == {DEFLATOR: "updated", S251: "updated"}
    manifest = load_manifest(optional_snap)
    for name in (DEFLATOR, S251):
        entry = manifest.entry(name)
        assert entry.optional and entry.retrieved == TODAY
        assert entry.sha256 == hashlib.sha256((FIXTURES / name).read_bytes()).hexdigest()
    assert sorted(verify_snapshot(optional_snap).checked) == sorted([SMALL, DEFLATOR, S251])


def test_optional_file_not_in_its_layout_is_refused(optional_snap: Path, server: _Server) -> None:
    # A CSV that parses but is not HM Treasury's: no 'YYYY-YY = 100' column.
    server.routes[f"/{DEFLATOR}"] = Route(b"year,value\n2024,1\n")
    bad_s251 = (FIXTURES / S251).read_bytes().replace(b"total_expenditure", b"amount")
    server.routes[f"/{S251}"] = Route(bad_s251)
    before = _state(optional_snap)
    with pytest.raises(FetchError) as err:
        fetch_snapshot(
            _settings(optional_snap),
            only=[DEFLATOR, S251],
            urls={n: f"{server.base_url}/{n}" for n in (DEFLATOR, S251)},
            today=TODAY,
        )
    msg = str(err.value)
    assert f"{DEFLATOR}: not in the publisher's layout" in msg and "= 100" in msg
    assert f"{S251}: not in the publisher's layout" in msg and "total_expenditure" in msg
    assert str(optional_snap) not in msg  # names the file, not the staging copy
    assert _state(optional_snap) == before


# ----------------------------------------------------------------- rate limits, retries


def test_rate_limited_download_honours_retry_after_and_succeeds(
    snap: Path, server: _Server
) -> None:
    new = _newer_csv(snap)
    server.routes[f"/{CSV}"] = Route(new, before=[(429, {"Retry-After": "3"})] * 2)
    policy, waits = _fast()
    report = fetch_snapshot(
        _settings(snap), base_url=server.base_url, only=[CSV], today=TODAY, retry=policy
    )
    assert report.outcomes[0].status == "updated"
    assert (snap / CSV).read_bytes() == new
    assert waits.waits == [3.0, 3.0]  # exactly what the server asked
    assert server.hits == [f"/{CSV}"] * 3


def test_server_errors_and_dropped_connections_back_off_with_jitter(
    snap: Path, server: _Server
) -> None:
    new = _newer_csv(snap)
    server.routes[f"/{CSV}"] = Route(new, before=[(503, {}), "drop", (500, {}), (502, {})])
    policy, waits = _fast()
    report = fetch_snapshot(
        _settings(snap), base_url=server.base_url, only=[CSV], today=TODAY, retry=policy
    )
    assert report.outcomes[0].status == "updated"
    assert len(server.hits) == 5 and len(waits.waits) == 4
    # Full jitter: the n-th wait is drawn from [0, base * 2**n].
    for n, wait in enumerate(waits.waits):
        assert 0.0 <= wait <= 2.0**n
    assert len(set(waits.waits)) == 4  # jittered, not a fixed ladder


def test_retries_are_bounded_and_the_failure_is_named(snap: Path, server: _Server) -> None:
    before = _state(snap)
    server.routes[f"/{CSV}"] = Route(_newer_csv(snap), before=[(503, {})] * 10)
    policy, waits = _fast(attempts=3)
    with pytest.raises(FetchError) as err:
        fetch_snapshot(
            _settings(snap), base_url=server.base_url, only=[CSV], today=TODAY, retry=policy
        )
    msg = str(err.value)
    assert "HTTP 503" in msg and "gave up after 3 attempts" in msg and CSV in msg
    assert len(server.hits) == 3 and len(waits.waits) == 2
    assert _state(snap) == before


def test_a_client_error_is_not_retried(snap: Path, server: _Server) -> None:
    server.routes[f"/{CSV}"] = Route(_newer_csv(snap), before=[(403, {})])
    policy, waits = _fast()
    with pytest.raises(FetchError, match="HTTP 403"):
        fetch_snapshot(
            _settings(snap), base_url=server.base_url, only=[CSV], today=TODAY, retry=policy
        )
    assert len(server.hits) == 1 and waits.waits == []


@pytest.mark.parametrize(
    ("error", "tries"), [(socket.EAI_NONAME, 1), (socket.EAI_AGAIN, 3)], ids=["noname", "again"]
)
def test_a_name_that_does_not_resolve_is_not_retried(
    snap: Path, monkeypatch: pytest.MonkeyPatch, error: int, tries: int
) -> None:
    """Offline, every try of every source failed the same way, 5 times with back-off
    (143 s for `cscwatch fetch --dry-run` here): a name that does not exist is final at
    once; a temporary failure of the name service is tried again."""
    asked: list[str] = []
    real = socket.getaddrinfo

    def resolve(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "cscwatch-test.invalid":
            asked.append(host)
            raise socket.gaierror(error, "refused by the test")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    before = _state(snap)
    policy, waits = _fast(attempts=3)
    with pytest.raises(FetchError) as err:
        fetch_snapshot(
            _settings(snap),
            base_url="http://cscwatch-test.invalid",
            only=[CSV],
            today=TODAY,
            retry=policy,
        )
    assert len(asked) == tries and len(waits.waits) == tries - 1
    said = "does not resolve" if error == socket.EAI_NONAME else "gave up after 3 attempts"
    assert said in str(err.value) and CSV in str(err.value)
    assert _state(snap) == before


def test_a_retry_after_beyond_the_cap_fails_at_once(snap: Path, server: _Server) -> None:
    server.routes[f"/{CSV}"] = Route(_newer_csv(snap), before=[(429, {"Retry-After": "3600"})])
    policy, waits = _fast()
    with pytest.raises(FetchError, match="asks to wait 3600s"):
        fetch_snapshot(
            _settings(snap), base_url=server.base_url, only=[CSV], today=TODAY, retry=policy
        )
    assert len(server.hits) == 1 and waits.waits == []


def test_retry_after_as_seconds_or_an_http_date() -> None:
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert _retry_after("120", now) == 120.0
    assert _retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30.0
    assert _retry_after(format_datetime(now - timedelta(seconds=30), usegmt=True), now) == 0.0
    assert _retry_after("soon", now) is None and _retry_after(None, now) is None


def test_cli_fetch_gives_up_with_one_line_and_exit_2(snap: Path, server: _Server, cli: Cli) -> None:
    server.routes[f"/{CSV}"] = Route(_newer_csv(snap), before=[(500, {})] * 5)
    code, out, err = cli(
        "fetch", "--snapshot", str(snap), "--base-url", server.base_url, "--only", CSV,
        "--attempts", "2", "--format", "json",
    )  # fmt: skip
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "gave up after 2 attempts" in err
    assert "Traceback" not in err


def test_a_short_body_is_tried_again_and_then_succeeds(snap: Path, server: _Server) -> None:
    new = _newer_csv(snap)
    server.routes[f"/{CSV}"] = Route(new, before=["short", "short"])
    policy, waits = _fast()
    report = fetch_snapshot(
        _settings(snap), base_url=server.base_url, only=[CSV], today=TODAY, retry=policy
    )
    assert report.outcomes[0].status == "updated"
    assert (snap / CSV).read_bytes() == new
    assert len(server.hits) == 3 and len(waits.waits) == 2


def test_a_body_that_always_arrives_short_gives_up_after_the_attempts(
    snap: Path, server: _Server
) -> None:
    before = _state(snap)
    server.routes[f"/{CSV}"] = Route(_newer_csv(snap), before=["short"] * 10)
    policy, waits = _fast(attempts=4)
    with pytest.raises(FetchError) as err:
        fetch_snapshot(
            _settings(snap), base_url=server.base_url, only=[CSV], today=TODAY, retry=policy
        )
    msg = str(err.value)
    assert CSV in msg and "gave up after 4 attempts" in msg
    assert len(server.hits) == 4 and len(waits.waits) == 3
    assert _state(snap) == before


# ------------------------------------------------------- the bundled manifest's addresses

_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def test_every_bundled_source_has_an_address_or_a_documented_reason() -> None:
    import re

    manifest = load_manifest(REPO_SNAPSHOT)
    table = {a.file: a for a in source_addresses(manifest)}
    assert list(table) == [e.file for e in manifest.files]
    for entry in manifest.files:
        row = table[entry.file]
        if entry.kind == "derived":
            assert row.status == "derived" and entry.command
            assert row.reason is not None and entry.command in row.reason
            continue
        if entry.url is not None:
            assert row.status == "url" and row.url == entry.url
            assert address_kind(entry.url) != "other", entry.url
            # The evidence names the id (or commit, or ONS series) the address is built from.
            ident = re.findall(rf"{_UUID}|[0-9a-f]{{40}}|(?<=timeseries/)[a-z0-9]{{4}}", entry.url)
            ident = [i.upper() if len(i) == 4 else i for i in ident]
            assert entry.url_confirmed and ident and ident[0] in entry.url_confirmed, entry.file
            continue
        assert row.status == "none" and row.reason is not None
        assert "no known download address" in row.reason and entry.file in row.reason
        if not entry.optional:
            # An explicit, documented reason: what was searched, or why none exists.
            assert entry.note and "No known download address:" in entry.note, entry.file
        # No address: the note dates the search that found none, so a reader knows
        # how stale the finding is.
        assert entry.note and re.search(r"Searched \d{4}-\d{2}-\d{2}\b", entry.note), entry.file


def test_bundled_address_counts() -> None:
    # The counts the docs (docs/snapshot.md) state; change both together.
    rows = source_addresses(load_manifest(REPO_SNAPSHOT))
    published = [a for a in rows if a.status != "derived"]
    with_url = [a for a in published if a.status == "url"]
    assert (len(rows), len(published), len(with_url)) == (23, 21, 21)
    kinds = [a.kind for a in with_url]
    counts = {k: kinds.count(k) for k in ("api", "catalogue", "release", "pinned", "ons")}
    assert counts == {"api": 2, "catalogue": 3, "release": 1, "pinned": 14, "ons": 1}
    assert [a.file for a in with_url if a.layout] == [KS4]
    assert sum(not a.optional for a in published) == 19
    # Every published file has an address; the two optional finance files are made from
    # what theirs serve (a release's archive, an ONS series), and say so.
    assert all(a.status == "url" for a in published)
    assert sorted(a.file for a in with_url if a.unpacked) == [DEFLATOR, S251]
    assert {a.file: a.kind for a in with_url if a.unpacked} == {DEFLATOR: "ons", S251: "release"}


def _git_blob(data: bytes) -> str:
    """The git blob id of ``data`` (what ``git hash-object --no-filters`` prints)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def test_pinned_addresses_name_the_bundled_files_git_blob_at_that_commit() -> None:
    # A pinned address brings exactly one file, so its evidence must be that this file
    # is the bundled one: the blob id of the bundled bytes, the path and the commit.
    import re

    manifest = load_manifest(REPO_SNAPSHOT)
    pinned = [e for e in manifest.files if e.url and address_kind(e.url) == "pinned"]
    assert len(pinned) == 14
    for entry in pinned:
        assert entry.url is not None and entry.url_confirmed is not None
        match = re.fullmatch(
            r"https://raw\.githubusercontent\.com/([\w.-]+/[\w.-]+)/([0-9a-f]{40})/(\S+)",
            entry.url,
        )
        assert match, entry.url
        repo, commit, path = match.groups()
        blob = _git_blob((REPO_SNAPSHOT / entry.file).read_bytes())
        evidence = entry.url_confirmed
        assert f"({blob}) is {path} at commit {commit}" in evidence, entry.file
        assert repo in evidence, entry.file


def test_cli_fetch_list_shows_every_address_and_downloads_nothing(
    snap: Path, server: _Server, cli: Cli
) -> None:
    before = _state(snap)
    code, out, err = cli("fetch", "--snapshot", str(snap), "--list", "--format", "json")
    assert code == 0 and err == ""
    files = {f["file"]: f for f in json.loads(out)["files"]}
    assert files[PARQUET]["status"] == "url" and files[PARQUET]["url"].startswith("https://")
    assert files[CSV]["status"] == "none" and "no known download address" in files[CSV]["reason"]
    assert files["derived.csv"]["status"] == "derived"
    assert server.hits == [] and _state(snap) == before
    code, out, _ = cli("fetch", "--snapshot", str(snap), "--list")
    assert code == 0
    # Addresses are printed whole, never cut to fit a terminal.
    url = load_manifest(snap).entry(PARQUET).url
    assert url is not None and url in out
    assert "1 of 3 published files have a download address; 1 derived files" in out


def test_address_kinds() -> None:
    uuid = "019d431f-519e-7527-999a-8019a8016012"
    assert address_kind(f"https://api.education.gov.uk/statistics/v1/data-sets/{uuid}/csv") == "api"
    catalogue = "https://explore-education-statistics.service.gov.uk/data-catalogue/data-set/"
    assert address_kind(f"{catalogue}{uuid}/csv") == "catalogue"
    pinned = f"https://raw.githubusercontent.com/o/r/{'a' * 40}/dir/f.csv"
    assert address_kind(pinned) == "pinned"
    # A branch name is not a pinned commit; an id-less API address is nothing known.
    assert address_kind("https://raw.githubusercontent.com/o/r/main/f.csv") == "other"
    assert address_kind("https://api.education.gov.uk/statistics/v1/data-sets/csv") == "other"


def test_cli_fetch_list_names_the_kind_and_a_mapped_layout(cli: Cli) -> None:
    code, out, err = cli("fetch", "--snapshot", str(REPO_SNAPSHOT), "--list")
    assert code == 0 and err == ""
    block = out.split(f"{KS4} (DfE)\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert block[0].strip() == load_manifest(REPO_SNAPSHOT).entry(KS4).url
    assert block[1].strip().startswith("kind: DfE statistics API data set")
    assert "mapped back to the bundled layout: DfE statistics API data set 019d431f" in block[2]
    code, out, _ = cli("fetch", "--snapshot", str(REPO_SNAPSHOT), "--list", "--format", "json")
    files = {f["file"]: f for f in json.loads(out)["files"]}
    assert files[KS4]["kind"] == "api" and "019d431f" in files[KS4]["layout"]
    assert files[CSV]["kind"] == "pinned" and files[CSV]["layout"] is None
    assert files["gdp_deflators.csv"]["kind"] == "ons"
    assert "financial-year means" in files["gdp_deflators.csv"]["unpacked"]
    assert (
        "21 of 21 published files have a download address"
        in cli("fetch", "--snapshot", str(REPO_SNAPSHOT), "--list")[1]
    )


# --------------------------------------- a renamed layout served by DfE's statistics API

#: The header of DfE's API data set "LA - Key Stage 4 (KS4) - API" as its data catalogue
#: page (67a6c2eb-cd40-4d72-a20a-2021bdfec736) shows it, written out here independently
#: of the map under test.
API_KS4_HEADER = (
    "time_period,time_identifier,geographic_level,country_code,country_name,region_code,"
    "region_name,old_la_code,la_name,new_la_code,social_care_group,version,pupil_count,"
    "attainment8_sum,attainment8_average,engmath_95_total,engmath_95_percent,"
    "engmath_94_total,engmath_94_percent,ebacc_entering_total,ebacc_entering_percent,"
    "ebacc_aps_sum,ebacc_aps_average,progress8_pupil_count,progress8_sum,progress8_average,"
    "progress8_lower_95_ci,progress8_upper_95_ci"
)
API_PATH = "/statistics/v1/data-sets/019d431f-519e-7527-999a-8019a8016012/csv"


@pytest.fixture
def ks4_snap(tmp_path: Path) -> Path:
    """The bundled KS4 file (published layout) and its manifest entry."""
    directory = tmp_path / "snapshot"
    directory.mkdir()
    shutil.copy2(REPO_SNAPSHOT / KS4, directory / KS4)
    write_manifest(directory, Manifest(files=[load_manifest(REPO_SNAPSHOT).entry(KS4)]))
    return directory


def _as_api_layout(published: bytes, extra: bytes = b"") -> bytes:
    """The bundled file with the API's header: what the API serves for the same rows."""
    bom, rest = published[:3], published[3:]
    assert bom == b"\xef\xbb\xbf"
    rows = rest.split(b"\n", 1)[1]
    return bom + API_KS4_HEADER.encode() + b"\n" + rows + extra


def _fetch_ks4(directory: Path, server: _Server) -> list[FetchOutcome]:
    url = f"{server.base_url}{API_PATH}"
    return fetch_snapshot(
        _settings(directory), urls={KS4: url}, today=TODAY, retry=_fast(2)[0]
    ).outcomes


def test_api_layout_of_the_same_rows_maps_back_to_the_bundled_bytes(
    ks4_snap: Path, server: _Server
) -> None:
    bundled = (ks4_snap / KS4).read_bytes()
    body = gzip.compress(_as_api_layout(bundled))
    # As the API answers: gzip on the wire, Content-Encoding says so.
    server.routes[API_PATH] = Route(body, headers={"Content-Encoding": "gzip"})
    (outcome,) = _fetch_ks4(ks4_snap, server)
    # Renaming the header back gives exactly the bundled file: same checksum, unchanged.
    assert outcome.status == "unchanged" and outcome.rows == 3444
    assert outcome.layout is not None and "019d431f" in outcome.layout
    assert (ks4_snap / KS4).read_bytes() == bundled


def test_newer_api_layout_is_swapped_in_under_the_bundled_header(
    ks4_snap: Path, server: _Server
) -> None:
    bundled = (ks4_snap / KS4).read_bytes()
    last = bundled.rstrip(b"\n").rsplit(b"\n", 1)[1]
    extra = last.replace(b"202425", b"202526", 1) + b"\n"
    server.routes[API_PATH] = Route(
        gzip.compress(_as_api_layout(bundled, extra)), headers={"Content-Encoding": "gzip"}
    )
    (outcome,) = _fetch_ks4(ks4_snap, server)
    assert outcome.status == "updated" and outcome.rows == 3445
    assert (ks4_snap / KS4).read_bytes() == bundled + extra
    entry = load_manifest(ks4_snap).entry(KS4)
    assert entry.sha256 == outcome.sha256 and entry.retrieved == TODAY
    verify_snapshot(ks4_snap)


def test_published_layout_from_the_api_address_is_taken_as_it_is(
    ks4_snap: Path, server: _Server
) -> None:
    bundled = (ks4_snap / KS4).read_bytes()
    server.routes[API_PATH] = Route(bundled)
    (outcome,) = _fetch_ks4(ks4_snap, server)
    assert outcome.status == "unchanged" and outcome.layout is None


def test_a_layout_that_is_neither_is_refused_in_one_line(ks4_snap: Path, server: _Server) -> None:
    bundled = (ks4_snap / KS4).read_bytes()
    # The API renames a column again: no longer the mapped layout, nor the bundled one.
    changed = _as_api_layout(bundled).replace(b"attainment8_sum", b"att8_total", 1)
    server.routes[API_PATH] = Route(changed)
    before = _state(ks4_snap)
    with pytest.raises(FetchError) as err:
        _fetch_ks4(ks4_snap, server)
    msg = str(err.value)
    assert msg.startswith("snapshot not changed; ks4_la.csv: missing columns: t_pupils, t_att8")
    assert "nor is it the layout of DfE statistics API data set 019d431f" in msg
    assert "\n" not in msg
    assert _state(ks4_snap) == before


def test_the_ks4_map_is_one_to_one_and_in_the_bundled_order() -> None:
    ks4 = COLUMN_MAPS[KS4]
    bundled = _read_csv(REPO_SNAPSHOT / KS4)[0]
    served = API_KS4_HEADER.split(",")
    assert list(ks4.renames) == served
    assert ks4.mapped(served) == bundled


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
@pytest.mark.parametrize("eol", [b"\n", b"\r\n"])
def test_rename_header_keeps_bom_line_ending_and_rows(
    tmp_path: Path, bom: bytes, eol: bytes
) -> None:
    path = tmp_path / KS4
    rows = b'202425,"a, quoted",x' + eol + b"202324,b,y" + eol
    path.write_bytes(bom + API_KS4_HEADER.encode() + eol + rows)
    header = rename_header(path, COLUMN_MAPS[KS4])
    data = path.read_bytes()
    assert data.startswith(bom + ",".join(header).encode() + eol)
    assert data.endswith(eol + rows) and header[12] == "t_pupils"


def test_rename_header_refuses_a_header_it_cannot_read_as_one_line(tmp_path: Path) -> None:
    path = tmp_path / KS4
    path.write_bytes(b'time_period,"split\nname"\n1,2\n')
    with pytest.raises(LayoutError, match="not one CSV line"):
        rename_header(path, COLUMN_MAPS[KS4])
    path.write_bytes(b"time_period,no_line_end")
    with pytest.raises(LayoutError, match="no complete header line"):
        rename_header(path, COLUMN_MAPS[KS4])


def test_a_catalogue_answer_without_content_length_is_read_to_the_end(
    snap: Path, server: _Server
) -> None:
    new = _newer_csv(snap)
    path = "/data-catalogue/data-set/0183a28b-6a55-4eff-aa08-33cc14f3a5bb/csv"
    server.routes[path] = Route(new, headers={"Content-Type": "text/csv"}, no_length=True)
    report = fetch_snapshot(
        _settings(snap),
        urls={CSV: f"{server.base_url}{path}"},
        only=[CSV],
        today=TODAY,
        retry=_fast(2)[0],
    )
    assert report.outcomes[0].status == "updated"
    assert (snap / CSV).read_bytes() == new


def test_a_body_that_says_gzip_but_is_not_is_refused(ks4_snap: Path, server: _Server) -> None:
    bundled = (ks4_snap / KS4).read_bytes()
    server.routes[API_PATH] = Route(bundled, headers={"Content-Encoding": "gzip"})
    before = _state(ks4_snap)
    with pytest.raises(FetchError) as err:
        _fetch_ks4(ks4_snap, server)
    msg = str(err.value)
    assert msg.startswith(f"snapshot not changed; {KS4}: download from http://127.0.0.1:")
    assert "\n" not in msg and len(server.hits) == 1  # a corrupt body is not retried
    assert _state(ks4_snap) == before


# ---------------------------------------- a fixed address never undoes a newer release


def test_the_copy_a_file_replaced_is_not_swapped_back(snap: Path, server: _Server) -> None:
    # A newer D3 taken from an explicit --url; the manifest's address (here the base
    # URL, as a pinned or catalogue address would) still serves the older copy.
    old = (snap / CSV).read_bytes()
    new = _newer_csv(snap)
    server.routes["/newer/d3.csv"] = Route(new)
    fetch_snapshot(
        _settings(snap), only=[CSV], urls={CSV: f"{server.base_url}/newer/d3.csv"}, today=TODAY
    )
    assert load_manifest(snap).entry(CSV).previous_sha256 == hashlib.sha256(old).hexdigest()
    server.routes[f"/{CSV}"] = Route(old)
    before = _state(snap)

    with pytest.raises(FetchError) as err:
        fetch_snapshot(_settings(snap), base_url=server.base_url, only=[CSV], today=TODAY)
    msg = str(err.value)
    assert msg.startswith(f"snapshot not changed; {CSV}: the address serves the copy this file")
    assert f"replaced on {TODAY}" in msg and f"--url {CSV}=URL" in msg and "\n" not in msg
    assert _state(snap) == before

    # Asked for explicitly, the older copy is restored.
    report = fetch_snapshot(
        _settings(snap), only=[CSV], urls={CSV: f"{server.base_url}/{CSV}"}, today=TODAY
    )
    assert report.outcomes[0].status == "updated" and (snap / CSV).read_bytes() == old


def test_a_newer_release_after_a_swap_is_still_taken(snap: Path, server: _Server) -> None:
    # The guard is only against the exact previous copy, never against a third one.
    newer = _newer_csv(snap)
    server.routes["/newer/d3.csv"] = Route(newer)
    fetch_snapshot(
        _settings(snap), only=[CSV], urls={CSV: f"{server.base_url}/newer/d3.csv"}, today=TODAY
    )
    newest = newer + newer.rstrip(b"\n").rsplit(b"\n", 1)[1].replace(b"2026", b"2027", 1) + b"\n"
    server.routes[f"/{CSV}"] = Route(newest)
    report = fetch_snapshot(_settings(snap), base_url=server.base_url, only=[CSV], today=TODAY)
    assert report.outcomes[0].status == "updated" and (snap / CSV).read_bytes() == newest


# ------------------------------------------------------------------ an xlsx workbook

XLSX = "ilacs_overview.xlsx"


@pytest.fixture
def xlsx_snap(tmp_path: Path) -> Path:
    """The bundled ILACS overview workbook with its manifest entry."""
    directory = tmp_path / "snapshot"
    directory.mkdir()
    shutil.copy2(REPO_SNAPSHOT / XLSX, directory / XLSX)
    write_manifest(directory, Manifest(files=[load_manifest(REPO_SNAPSHOT).entry(XLSX)]))
    return directory


def _zip(members: dict[str, bytes]) -> bytes:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buf.getvalue()


def test_the_bundled_workbook_is_accepted_unchanged(xlsx_snap: Path, server: _Server) -> None:
    _serve_current(server, xlsx_snap, XLSX)
    report = fetch_snapshot(_settings(xlsx_snap), base_url=server.base_url, today=TODAY)
    assert [(o.file, o.status) for o in report.outcomes] == [(XLSX, "unchanged")]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<!DOCTYPE html><html><body>Not Found</body></html>\n", "not an xlsx workbook"),
        (_zip({"word/document.xml": b"<w/>"}), "no xl/workbook.xml in the archive"),
    ],
)
def test_a_download_that_is_not_a_workbook_is_refused(
    xlsx_snap: Path, server: _Server, body: bytes, reason: str
) -> None:
    server.routes[f"/{XLSX}"] = Route(body)
    before = _state(xlsx_snap)
    with pytest.raises(FetchError) as err:
        fetch_snapshot(_settings(xlsx_snap), base_url=server.base_url, today=TODAY)
    msg = str(err.value)
    assert msg.startswith(f"snapshot not changed; {XLSX}: not an xlsx workbook") and reason in msg
    assert _state(xlsx_snap) == before


# ------------------------------------- the section 251 table inside a release's ZIP archive

#: The EES release version archive address form (2024-25 "LA and school expenditure").
RELEASE_PATH = "/api/releases/654ad3f2-e091-4bd5-b357-b750b90d1e9a/files"
#: A schools table: the release's other section 251 file, with other columns.
SCHOOLS_TABLE = (
    b"time_period,time_identifier,geographic_level,country_code,country_name,region_code,"
    b"old_la_code,la_name,school_phase,expenditure_per_pupil\n"
    b"202425,Financial year,National,E92000001,England,,,,Primary,5123\n"
)


def _s251_fixture() -> bytes:
    return (FIXTURES / S251).read_bytes()


def _release_zip(extra: dict[str, bytes] | None = None) -> bytes:
    """An archive laid out as EES's ``ZipFileEntryName``: data/, supporting-files/ and
    the data guidance; the table's name carries a suffix, as EES's newest source adds."""
    members = {
        "data/s251_schools_and_other_education_la_regional_national1234567.csv": SCHOOLS_TABLE,
        f"data/{S251[:-4]}98765432.csv": _s251_fixture(),
        "supporting-files/high_needs_places.csv": b"urn,places\n100001,12\n",
        "data-guidance/data-guidance.txt": b"LA and school expenditure\nFinancial year 2024-25\n",
    }
    members.update(extra or {})
    return _zip(members)


def _fetch_s251(
    directory: Path, server: _Server, retry: RetryPolicy | None = None
) -> list[FetchOutcome]:
    report = fetch_snapshot(
        _settings(directory),
        only=[S251],
        urls={S251: f"{server.base_url}{RELEASE_PATH}"},
        today=TODAY,
        retry=retry,
    )
    return report.outcomes


def _refused_s251(directory: Path, server: _Server) -> str:
    before = _state(directory)
    with pytest.raises(FetchError) as err:
        _fetch_s251(directory, server, retry=_fast()[0])
    assert _state(directory) == before  # nothing changed, no staging left behind
    msg = str(err.value)
    assert msg.startswith(f"snapshot not changed; {S251}: ") and "\n" not in msg
    return msg


def test_s251_is_the_release_archive_member_with_the_readers_columns(
    optional_snap: Path, server: _Server
) -> None:
    server.routes[RELEASE_PATH] = Route(_release_zip(), no_length=True)
    [outcome] = _fetch_s251(optional_snap, server)
    assert outcome.status == "updated" and outcome.unpacked is not None
    assert f"data/{S251[:-4]}98765432.csv" in outcome.unpacked
    # The member's bytes, byte for byte, under the snapshot's own name.
    assert (optional_snap / S251).read_bytes() == _s251_fixture()
    entry = load_manifest(optional_snap).entry(S251)
    assert entry.sha256 == hashlib.sha256(_s251_fixture()).hexdigest()
    assert sorted(p.name for p in optional_snap.iterdir()) == sorted(["manifest.json", SMALL, S251])


def test_a_member_with_the_columns_but_not_the_table_drops_out_by_the_layout_check(
    optional_snap: Path, server: _Server
) -> None:
    # Same columns, but no 'Total Safeguarding...' line: the reader's check tells them apart.
    decoy = b"\n".join(
        line for line in _s251_fixture().split(b"\n") if b"Total Safeguarding" not in line
    )
    server.routes[RELEASE_PATH] = Route(_release_zip({"data/s251_other_table.csv": decoy}))
    [outcome] = _fetch_s251(optional_snap, server)
    assert outcome.status == "updated" and "98765432" in str(outcome.unpacked)
    assert (optional_snap / S251).read_bytes() == _s251_fixture()


def test_an_archive_without_the_table_is_refused_naming_its_members(
    optional_snap: Path, server: _Server
) -> None:
    body = _zip({"data/s251_schools.csv": SCHOOLS_TABLE, "data-guidance/data-guidance.txt": b"x"})
    server.routes[RELEASE_PATH] = Route(body)
    msg = _refused_s251(optional_snap, server)
    assert "no member of the archive has columns time_period" in msg
    assert "total_expenditure or gross_expenditure" in msg and "data/s251_schools.csv" in msg


def test_an_archive_with_the_table_twice_is_refused_naming_both(
    optional_snap: Path, server: _Server
) -> None:
    server.routes[RELEASE_PATH] = Route(_release_zip({"data/s251_copy.csv": _s251_fixture()}))
    msg = _refused_s251(optional_snap, server)
    assert "2 members of the archive have columns" in msg and "expected one" in msg
    assert "data/s251_copy.csv" in msg and "98765432.csv" in msg


def test_a_truncated_archive_is_refused(optional_snap: Path, server: _Server) -> None:
    body = _release_zip()
    server.routes[RELEASE_PATH] = Route(body[: len(body) // 2])
    assert "not a readable ZIP archive (truncated or damaged?)" in _refused_s251(
        optional_snap, server
    )


def test_a_member_named_outside_the_archive_is_refused_and_never_written(
    optional_snap: Path, server: _Server, tmp_path: Path
) -> None:
    server.routes[RELEASE_PATH] = Route(_release_zip({"../../evil.csv": _s251_fixture()}))
    msg = _refused_s251(optional_snap, server)
    assert "'../../evil.csv', outside its own folder; refused as hostile" in msg
    assert not list(tmp_path.rglob("evil.csv")) and not Path("evil.csv").exists()


def _bomb(rows: int) -> bytes:
    """A member with the table's header and ``rows`` identical lines: tiny compressed."""
    head, first = _s251_fixture().split(b"\n")[:2]
    return head + b"\n" + (first + b"\n") * rows


def test_a_member_past_the_size_bound_is_refused(
    optional_snap: Path, server: _Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    import zipfile

    from cscwatch.ingest import archive

    monkeypatch.setattr(archive, "MAX_MEMBER_BYTES", 1 << 20)
    bomb = _bomb(20_000)  # about 4 MB of text
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"data/{S251}", bomb)
    assert len(buf.getvalue()) < len(bomb) // 50  # a small download, a large member
    server.routes[RELEASE_PATH] = Route(buf.getvalue())
    msg = _refused_s251(optional_snap, server)
    assert f"declares {len(bomb)} bytes, more than the {1 << 20} allowed" in msg


def test_a_member_lying_about_its_size_is_never_read_past_it(
    optional_snap: Path, server: _Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    import struct
    import zipfile

    from cscwatch.ingest import archive

    monkeypatch.setattr(archive, "MAX_MEMBER_BYTES", 1 << 20)
    bomb = _bomb(20_000)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"data/{S251}", bomb)
    data = bytearray(buf.getvalue())
    # Declare 1,000 bytes in both the local header (offset 22) and the central
    # directory entry (offset 24): the decompressor stops there and the CRC fails.
    struct.pack_into("<I", data, 22, 1000)
    central = data.rfind(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 1000)
    server.routes[RELEASE_PATH] = Route(bytes(data))
    msg = _refused_s251(optional_snap, server)
    # Read only as far as it declares, its checksum fails: it is never a candidate.
    assert "no member of the archive has columns time_period" in msg
    assert f"CSV members: data/{S251})" in msg


def test_a_rate_limited_failing_archive_download_is_tried_again(
    optional_snap: Path, server: _Server
) -> None:
    server.routes[RELEASE_PATH] = Route(
        _release_zip(), before=[(429, {"Retry-After": "2"}), (503, {}), "drop", "short"]
    )
    policy, waits = _fast()
    [outcome] = _fetch_s251(optional_snap, server, retry=policy)
    assert outcome.status == "updated" and len(server.hits) == 5
    assert waits.waits[0] == 2.0 and len(waits.waits) == 4
    assert (optional_snap / S251).read_bytes() == _s251_fixture()


def test_a_csv_served_in_an_archive_is_picked_by_the_current_files_columns(
    snap: Path, server: _Server
) -> None:
    newer = _newer_csv(snap)
    server.routes["/all.zip"] = Route(
        _zip({"data/other.csv": b"a,b\n1,2\n", "data/d3_cpps_2026.csv": newer})
    )
    report = fetch_snapshot(
        _settings(snap), only=[CSV], urls={CSV: f"{server.base_url}/all.zip"}, today=TODAY
    )
    [outcome] = report.outcomes
    assert outcome.status == "updated" and "data/d3_cpps_2026.csv" in str(outcome.unpacked)
    assert (snap / CSV).read_bytes() == newer


def test_a_name_pattern_narrows_the_members_with_the_columns(tmp_path: Path) -> None:
    from cscwatch.ingest.archive import ArchiveError, MemberRule, extract_member

    archive = tmp_path / "release.zip"
    archive.write_bytes(
        _zip({"data/a_2024.csv": b"x,y\n1,2\n", "data/b_2025.csv": b"x,y\n3,4\n", "c.txt": b""})
    )
    dest = tmp_path / "out.csv"
    by_columns = MemberRule(columns=(("x",), ("Y", "z")))
    with pytest.raises(ArchiveError, match="2 members of the archive have columns x, Y or z"):
        extract_member(archive, dest, by_columns)
    rule = MemberRule(columns=by_columns.columns, pattern=r"b_\d{4}\.csv")
    assert extract_member(archive, dest, rule) == "data/b_2025.csv"
    assert dest.read_bytes() == b"x,y\n3,4\n"
    with pytest.raises(ArchiveError, match=re.escape(r"a name matching the pattern nothing\.csv")):
        extract_member(archive, dest, MemberRule(pattern=r"nothing\.csv"))


# --------------------------------------------- the GDP deflator from ONS series L8GG

ONS_FIXTURE = FIXTURES.parent / "ons" / "l8gg_generator.csv"
ONS_PATH = "/generator"
#: The fixture's quarters, written out again here, independently of the file.
_QUARTERS = {
    2019: (87.5, 87.8, 88.1, 88.6),
    2020: (89.2, 94.6, 92.4, 93.8),
    2021: (93.0, 91.9, 92.6, 94.1),
    2022: (96.3, 98.7, 101.2, 103.8),
    2023: (105.4, 106.6, 107.7, 108.7),
    2024: (109.6, 110.4, 111.5, 112.5),
    2025: (113.3, 114.0),
}


def _fy_mean(start: int) -> float:
    """April ``start`` to March ``start + 1``: Q2, Q3, Q4 of start and Q1 of the next."""
    return (sum(_QUARTERS[start][1:4]) + _QUARTERS[start + 1][0]) / 4


def _fetch_deflator(directory: Path, server: _Server, body: bytes) -> FetchOutcome:
    server.routes[ONS_PATH] = Route(body)
    report = fetch_snapshot(
        _settings(directory),
        only=[DEFLATOR],
        urls={DEFLATOR: f"{server.base_url}{ONS_PATH}"},
        today=TODAY,
    )
    return report.outcomes[0]


def test_ons_l8gg_becomes_financial_year_means_rebased_to_the_latest_complete_year(
    optional_snap: Path, server: _Server
) -> None:
    from cscwatch.ingest.finance import read_gdp_deflators

    outcome = _fetch_deflator(optional_snap, server, ONS_FIXTURE.read_bytes())
    assert outcome.status == "updated" and outcome.unpacked is not None
    assert "ONS series L8GG (6 years, ONS release date 30-09-2025)" in outcome.unpacked
    series = read_gdp_deflators(optional_snap / DEFLATOR)
    # 2025-26 has two quarters only and 2018-19 one: neither is averaged.
    assert series.base_year == 2025 and sorted(series.index) == list(range(2020, 2026))
    for year, value in series.index.items():
        assert value == round(_fy_mean(year - 1) / _fy_mean(2024) * 100, 3), year
    assert series.index[2025] == 100.0
    text = (optional_snap / DEFLATOR).read_text(encoding="utf-8")
    assert "not HM Treasury's published file" in text and "Never compared" in text
    assert "release date 30-09-2025" in text


def test_a_financial_year_with_a_missing_quarter_is_left_out(
    optional_snap: Path, server: _Server
) -> None:
    from cscwatch.ingest.finance import read_gdp_deflators

    body = ONS_FIXTURE.read_bytes().replace(b'"2022 Q3","101.2"', b'"2022 Q3",""')
    _fetch_deflator(optional_snap, server, body)
    index = read_gdp_deflators(optional_snap / DEFLATOR).index
    assert 2023 not in index and {2022, 2024, 2025} <= set(index)


def test_month_rows_are_read_past_and_quarters_still_used(tmp_path: Path) -> None:
    from cscwatch.ingest.ons_deflator import financial_year_means, read_ons_series

    path = tmp_path / "l8gg.csv"
    path.write_bytes(ONS_FIXTURE.read_bytes() + b'"2025 JAN","1.0"\n"2025 FEB","2.0"\n')
    series = read_ons_series(path)
    assert series.cdid == "L8GG" and series.years[2024] == 111.0
    assert financial_year_means(series.quarters)[2025] == pytest.approx(_fy_mean(2024))


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        ((b'"2021 Q2","91.9"', b'"2021 Q2","[x]"'), "the value for 2021 Q2 is not a number"),
        ((b'"2021 Q2","91.9"', b'"2021 Q2","91.9","92.0"'), "more than one series"),
        ((b'"2021 Q2","91.9"', b'"2021 Q2","91.9"\n"2021 Q2","91.9"'), "2021 Q2 appears twice"),
        ((b'"2021 Q2","91.9"', b'"2021 quarter 2","91.9"'), "neither ONS metadata nor a year"),
    ],
)
def test_an_ons_file_out_of_layout_is_refused(
    optional_snap: Path, server: _Server, edit: tuple[bytes, bytes], needle: str
) -> None:
    body = ONS_FIXTURE.read_bytes().replace(*edit)
    before = _state(optional_snap)
    with pytest.raises(FetchError) as err:
        _fetch_deflator(optional_snap, server, body)
    msg = str(err.value)
    assert f"{DEFLATOR}: not ONS's time-series layout" in msg and needle in msg
    assert str(optional_snap) not in msg and _state(optional_snap) == before


def test_another_ons_series_is_not_taken_for_the_gdp_deflator(
    optional_snap: Path, server: _Server
) -> None:
    body = ONS_FIXTURE.read_bytes().replace(b'"CDID","L8GG"', b'"CDID","YBHA"')
    with pytest.raises(FetchError, match="ONS series YBHA is not L8GG"):
        _fetch_deflator(optional_snap, server, body)


def test_hm_treasurys_own_csv_still_comes_through_untransformed(
    optional_snap: Path, server: _Server
) -> None:
    outcome = _fetch_deflator(optional_snap, server, (FIXTURES / DEFLATOR).read_bytes())
    assert outcome.status == "updated" and outcome.unpacked is None
    assert (optional_snap / DEFLATOR).read_bytes() == (FIXTURES / DEFLATOR).read_bytes()


def test_release_and_ons_address_kinds() -> None:
    from cscwatch.ingest.ons_deflator import L8GG_URL

    release = "https://content.explore-education-statistics.service.gov.uk/api/releases/"
    uuid = "654ad3f2-e091-4bd5-b357-b750b90d1e9a"
    assert address_kind(f"{release}{uuid}/files?fromPage=ReleaseDownloads") == "release"
    assert address_kind(f"{release}{uuid}/files") == "release"
    assert address_kind(f"{release}{uuid}/files/{uuid}") == "other"
    assert address_kind(L8GG_URL) == "ons"
    assert address_kind(
        "https://www.ons.gov.uk/generator?format=xls&uri=/x/timeseries/l8gg/qna"
    ) == ("other")


def test_a_deflator_made_from_ons_is_captioned_as_ons_never_as_hm_treasury(
    optional_snap: Path, server: _Server
) -> None:
    from cscwatch.indicators.prices import Deflator, prices_note
    from cscwatch.ingest.finance import HMT_DEFLATOR, read_gdp_deflators

    _fetch_deflator(optional_snap, server, ONS_FIXTURE.read_bytes())
    made = read_gdp_deflators(optional_snap / DEFLATOR)
    assert made.source == "ONS L8GG, financial-year means of its quarters; not HM Treasury's"
    note = prices_note("real", Deflator(made.base_year, made.index, made.source))
    assert note == f"£ figures: real terms, 2024-25 prices ({made.source})."
    assert "HM Treasury GDP deflator" not in note
    assert read_gdp_deflators(FIXTURES / DEFLATOR).source == HMT_DEFLATOR


def test_the_metadata_rows_as_ons_writes_them_for_a_real_series_are_read(tmp_path: Path) -> None:
    # The first rows of ONS's generator CSV as a real download shows them (series YBGB,
    # release 30-06-2025): an empty "Important notes" written as one field and a comma,
    # and unit rows that say nothing of an index.
    from cscwatch.ingest.ons_deflator import read_ons_series

    head = (
        '"Title","Gross domestic product at market prices:Implied deflator:SA"\n'
        '"CDID","YBGB"\n"Source dataset ID","UKEA"\n"PreUnit","£"\n"Unit","m"\n'
        '"Release date","30-06-2025"\n"Next release","30 September 2025"\n"Important notes",\n'
        '"2024","111.2"\n"2024 Q1","109.3"\n"2024 Q2","110.1"\n'
    )
    path = tmp_path / "ybgb.csv"
    path.write_text(head, encoding="utf-8")
    series = read_ons_series(path)
    assert series.cdid == "YBGB" and series.metadata["Important notes"] == ""
    assert series.metadata["Release date"] == "30-06-2025"
    assert series.years == {2024: 111.2} and series.quarters == {(2024, 1): 109.3, (2024, 2): 110.1}


def test_an_archive_for_a_file_with_no_columns_to_pick_by_is_refused(
    optional_snap: Path, server: _Server
) -> None:
    # The deflator has no archive rule and no current copy: nothing says which member.
    before = _state(optional_snap)
    server.routes["/all.zip"] = Route(_zip({"a.csv": b"x\n1\n", "b.csv": b"y\n2\n"}))
    with pytest.raises(FetchError) as err:
        fetch_snapshot(
            _settings(optional_snap),
            only=[DEFLATOR],
            urls={DEFLATOR: f"{server.base_url}/all.zip"},
            today=TODAY,
        )
    assert f"{DEFLATOR}: a ZIP archive, and no columns are known to pick its member by" in str(
        err.value
    )
    assert _state(optional_snap) == before


def test_a_chosen_member_lying_about_its_size_is_refused_and_its_copy_removed(
    tmp_path: Path,
) -> None:
    import struct
    import zipfile

    from cscwatch.ingest.archive import ArchiveError, MemberRule, extract_member

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("data/big.csv", _bomb(20_000))
    data = bytearray(buf.getvalue())
    struct.pack_into("<I", data, 22, 1000)  # local header: uncompressed size
    struct.pack_into("<I", data, data.rfind(b"PK\x01\x02") + 24, 1000)  # central directory
    archive = tmp_path / "lying.zip"
    archive.write_bytes(bytes(data))
    dest = tmp_path / "out.csv"
    with pytest.raises(ArchiveError, match=r"member data/big\.csv is damaged"):
        extract_member(archive, dest, MemberRule())
    assert not dest.exists()


def test_members_with_the_columns_but_none_the_table_are_refused_naming_them(
    optional_snap: Path, server: _Server
) -> None:
    decoy = b"\n".join(
        line for line in _s251_fixture().split(b"\n") if b"Total Safeguarding" not in line
    )
    body = _zip({"data/one.csv": decoy, "data/two.csv": decoy})
    server.routes[RELEASE_PATH] = Route(body)
    msg = _refused_s251(optional_snap, server)
    assert "2 members of the archive have columns time_period" in msg
    assert "none holds the table the reader expects: data/one.csv, data/two.csv" in msg
