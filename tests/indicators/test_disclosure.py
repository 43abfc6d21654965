"""Disclosure control: no small count escapes, whatever the frame."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cscwatch.core.errors import InputError
from cscwatch.core.types import STATUS_SYMBOLS
from cscwatch.indicators.disclosure import SUPPRESSED, disclose, disclose_count

_count = st.one_of(
    st.integers(min_value=0, max_value=12),
    st.integers(min_value=0, max_value=10_000_000),
)
_cell = st.one_of(_count, _count, _count, st.none(), st.sampled_from(sorted(STATUS_SYMBOLS)))
_level = st.sampled_from(["la", "regional", "national"])


@st.composite
def _frames(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(min_value=0, max_value=30))
    rows = []
    for _ in range(n):
        num = draw(_count)
        den = draw(st.integers(min_value=num, max_value=num + 500))
        rows.append(
            {
                "group": draw(st.integers(min_value=0, max_value=4)),
                "level": draw(_level),
                "numerator": num,
                "denominator": den,
                "other": draw(_cell),
                "percent": 100 * num / den if den else None,
            }
        )
    columns = ["group", "level", "numerator", "denominator", "other", "percent"]
    return pd.DataFrame(rows, columns=columns)


def _small(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and 1 <= v <= 5


@settings(max_examples=120, deadline=None)
@given(_frames())
def test_no_small_count_escapes(frame: pd.DataFrame) -> None:
    out = disclose(
        frame,
        counts=["numerator", "denominator", "other"],
        derived={"percent": ["numerator", "denominator"]},
        level_column="level",
        groups=["group", "level"],
    )
    for col in ("numerator", "denominator", "other"):
        assert not any(_small(v) for v in out[col]), col
    for i in range(len(frame)):
        num, den = frame["numerator"].iloc[i], frame["denominator"].iloc[i]
        if 1 <= num <= 5 or 1 <= den <= 5:
            assert out["percent"].iloc[i] == SUPPRESSED
        if out["numerator"].iloc[i] == SUPPRESSED or out["denominator"].iloc[i] == SUPPRESSED:
            assert out["percent"].iloc[i] == SUPPRESSED


@settings(max_examples=120, deadline=None)
@given(_frames())
def test_shown_counts_are_exact_for_authorities_and_rounded_to_10_otherwise(
    frame: pd.DataFrame,
) -> None:
    out = disclose(frame, counts=["numerator", "other"], level_column="level")
    for i in range(len(frame)):
        for col in ("numerator", "other"):
            before, after = frame[col].iloc[i], out[col].iloc[i]
            if isinstance(after, str) or after is None:
                assert after in STATUS_SYMBOLS or after is None
                continue
            if frame["level"].iloc[i] == "la":
                assert after == before
            else:
                assert after % 10 == 0 and abs(after - before) <= 5


@settings(max_examples=120, deadline=None)
@given(_frames())
def test_no_group_leaves_a_single_suppressed_count_to_be_subtracted(frame: pd.DataFrame) -> None:
    out = disclose(frame, counts=["numerator"], groups=["group"])
    for _, part in out.groupby(frame["group"]):
        hidden = int((part["numerator"] == SUPPRESSED).sum())
        others = [v for v in part["numerator"] if v != SUPPRESSED]
        if len(part) > 1 and hidden == 1:
            # only possible when every other count is zero (then the total is small too)
            assert all(v == 0 for v in others)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(sorted(STATUS_SYMBOLS)), min_size=1, max_size=10))
def test_publisher_symbols_are_kept(symbols: list[str]) -> None:
    frame = pd.DataFrame({"n": symbols})
    assert list(disclose(frame, counts=["n"])["n"]) == symbols


def test_examples() -> None:
    assert [disclose_count(v) for v in (0, 1, 5, 6, 1234)] == [0, "c", "c", 6, 1234]
    assert [disclose_count(v, level="national") for v in (0, 3, 6, 14, 15, 1234)] == [
        0, "c", 10, 10, 20, 1230,
    ]  # fmt: skip
    assert disclose_count(None) is None and disclose_count("x") == "x"
    frame = pd.DataFrame({"n": [3, 40, 50], "d": [100, 100, 100], "p": [3.0, 40.0, 50.0]})
    out = disclose(frame, counts=["n", "d"], derived={"p": ["n", "d"]}, groups=["d"])
    assert list(out["n"]) == ["c", "c", 50]  # 40 hidden too, or 3 = total - 40 - 50
    assert list(out["p"]) == ["c", "c", 50.0]
    assert frame["n"].iloc[0] == 3  # input untouched


@pytest.mark.parametrize("bad", [-1, 2.5, "seven", True])
def test_bad_counts_are_refused(bad: object) -> None:
    with pytest.raises(InputError):
        disclose_count(bad)


def test_misdeclared_frames_are_refused() -> None:
    frame = pd.DataFrame({"n": [1], "p": [1.0]})
    with pytest.raises(InputError):
        disclose(frame, counts=["n"], derived={"p": ["n", "missing"]})
    with pytest.raises(InputError):
        disclose(frame, counts=["nope"])
    with pytest.raises(InputError):
        disclose(frame, counts=["n"], level="la", level_column="n")


def test_rates_are_rounded_to_one_decimal() -> None:
    frame = pd.DataFrame({"n": [60], "d": [70], "rate": [100 * 60 / 70]})
    out = disclose(frame, counts=["n", "d"], derived={"rate": ["n", "d"]})
    assert out["rate"].iloc[0] == 85.7
    assert not math.isnan(out["rate"].iloc[0])
