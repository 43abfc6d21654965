"""The reader's batch steps give exactly what the one-at-a-time definitions give:
pseudonyms made many at a time, UPN format facts computed for a whole column, and
files read ahead by worker processes while earlier batches load."""

from __future__ import annotations

import hashlib
import hmac
import pickle
from pathlib import Path

import duckdb
import pytest
from cin_xml import clean_return, render, upn
from hypothesis import given, settings
from hypothesis import strategies as st

from cscwatch.childlevel.cin.census import _upn_columns
from cscwatch.childlevel.cin.store import load_cin_census_files
from cscwatch.childlevel.pseudonym import Pseudonymiser
from cscwatch.childlevel.upn import CHECK_ALPHABET, upn_facts
from cscwatch.core.config import Settings
from cscwatch.core.errors import InputError

PS = Pseudonymiser(b"batch-test-key-0123456789")

_identifier = st.one_of(
    st.none(),
    st.text(max_size=20),
    st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcz ßı\u00a0", max_size=15),
)
# Mostly well-formed-looking UPNs (the vectorised path), with every kind of defect.
_upn_like = st.one_of(
    st.text(alphabet="0123456789" + CHECK_ALPHABET + "IOSa -", min_size=11, max_size=15),
    st.builds(
        lambda la, serial, last: upn(la, serial, last),
        st.from_regex(r"[0-9]{3}", fullmatch=True),
        st.from_regex(r"[0-9]{8}", fullmatch=True),
        st.sampled_from("0123456789ABCDEFGHJKLMNPQRTUVWXYZ"),
    ),
    st.text(max_size=16),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_identifier, max_size=8), st.binary(min_size=16, max_size=100))
def test_many_pseudonyms_are_the_hmac_of_each(values: list[str | None], key: bytes) -> None:
    ps = Pseudonymiser(key)
    assert ps.many(values) == [ps(v) for v in values]
    assert ps.many(values, upper=True) == [ps.upn(v) for v in values]
    again = pickle.loads(pickle.dumps(ps))  # worker processes get it by pipe
    assert again.many(values) == ps.many(values)
    text = next((v.strip() for v in values if v and v.strip()), None)
    if text is not None:
        assert ps(text) == hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), _upn_like), max_size=10))
def test_upn_columns_match_upn_facts(upns: list[str | None]) -> None:
    cols = _upn_columns(upns)
    for i, u in enumerate(upns):
        got = tuple(
            cols[c][i]
            for c in ("upn_length_ok", "upn_check_ok", "upn_la_code", "upn_digits_ok",
                      "upn_char13_ok")
        )  # fmt: skip
        if u is None:
            assert got == (None,) * 5
        else:
            f = upn_facts(u)
            assert got == (f.length_ok, f.check_ok, f.la_code, f.digits_ok, f.char13_ok), u


def test_files_read_ahead_load_in_batches_once_each(tmp_path: Path) -> None:
    paths = []
    for n in range(5):
        kids = clean_return()
        kids[0]["LAchildID"] = f"AHEAD{n}"
        paths.append(tmp_path / f"a{n}.xml")
        paths[-1].write_bytes(render(kids))
    given_paths = [*paths[:3], paths[1], *paths[3:]]  # one file twice
    for workers in (1, 2):
        con = duckdb.connect()
        loaded = load_cin_census_files(
            con, given_paths, Settings(), pseudonymiser=PS, batch=2, workers=workers
        )
        assert [r.path for r in loaded] == given_paths
        assert all(not r.tables for r in loaded)  # column lists dropped once staged
        assert con.sql("SELECT count(*) FROM cin_return").fetchall() == [(5,)]
        assert con.sql("SELECT count(*) FROM cin_child").fetchall() == [(15,)]
        ids = {r[0] for r in con.sql("SELECT child_id FROM cin_child").fetchall()}
        assert PS("AHEAD4") in ids
        con.close()


def _version(tmp_path: Path, name: str, first_id: str, *, la: str = "201") -> Path:
    # A return of LA ``la`` for 2024-25 whose first child is ``first_id``.
    kids = clean_return()
    kids[0]["LAchildID"] = first_id
    path = tmp_path / name
    path.write_bytes(render(kids, la=la))
    return path


def _stored(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int]]:
    return [(str(r[0]), int(r[1])) for r in con.sql(
        "SELECT la_code, count(*) FROM cin_return GROUP BY la_code ORDER BY la_code"
    ).fetchall()]  # fmt: skip


def test_same_authority_year_refused_replaced_or_kept(tmp_path: Path) -> None:
    old = _version(tmp_path, "old.xml", "OLDVERSION1")
    new = _version(tmp_path, "new.xml", "NEWVERSION1")
    other = _version(tmp_path, "other.xml", "OTHERLA001", la="202")
    con = duckdb.connect()
    load_cin_census_files(con, [old], Settings(), pseudonymiser=PS, same_year="refuse")
    # The same bytes again: nothing changes, refused or not.
    load_cin_census_files(con, [old], Settings(), pseudonymiser=PS, same_year="refuse")
    assert _stored(con) == [("201", 1)]
    # A different return for LA 201, 2024-25: refused, naming the file; its batch (with
    # another authority's return read before it) is not written.
    with pytest.raises(InputError, match=r"new\.xml: the child store already holds a "
                       r"different return for LA 201, 2024-25.*--replace"):  # fmt: skip
        load_cin_census_files(con, [other, new], Settings(), pseudonymiser=PS,
                              same_year="refuse")  # fmt: skip
    assert _stored(con) == [("201", 1)]
    ids = {r[0] for r in con.sql("SELECT child_id FROM cin_child").fetchall()}
    assert PS("OLDVERSION1") in ids and PS("NEWVERSION1") not in ids
    # Replaced: the old return's rows in every table go, in the same transaction.
    load_cin_census_files(con, [other, new], Settings(), pseudonymiser=PS, same_year="replace")
    assert _stored(con) == [("201", 1), ("202", 1)]
    ids = {r[0] for r in con.sql("SELECT child_id FROM cin_child").fetchall()}
    assert PS("NEWVERSION1") in ids and PS("OLDVERSION1") not in ids
    assert con.sql("SELECT count(*) FROM cin_child").fetchall() == [(6,)]
    # Two versions in one call: refused even with replace; kept side by side with "keep".
    with pytest.raises(InputError, match=r"a second, different return for LA 201, 2024-25"):
        load_cin_census_files(con, [old, new], Settings(), pseudonymiser=PS,
                              same_year="replace")  # fmt: skip
    load_cin_census_files(con, [old, new], Settings(), pseudonymiser=PS)
    assert _stored(con) == [("201", 2), ("202", 1)]
    con.close()
