"""Arrow arrays made without pandas are those ``pyarrow.array`` makes, and importing or
using them does not import pandas (checked in a fresh interpreter)."""

from __future__ import annotations

import subprocess
import sys

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cscwatch.core.arrow import (
    bool_scalar,
    float_array,
    int_array,
    text_array,
    text_scalar,
    whole,
)


@given(st.lists(st.one_of(st.none(), st.text())))
def test_text_array_is_pyarrow_array(values: list[str | None]) -> None:
    made = text_array(values)
    assert made.type == pa.string()
    assert made.equals(pa.array(values, pa.string()))


def test_text_array_refuses_what_is_not_text() -> None:
    with pytest.raises(TypeError, match="expected text or None, got int"):
        text_array(["a", 1])  # type: ignore[list-item]


@given(st.lists(st.one_of(st.none(), st.floats(allow_nan=False), st.integers(-(2**52), 2**52))))
def test_float_array_is_pyarrow_array(values: list[float | int | None]) -> None:
    assert float_array(values).equals(pa.array(values, pa.float64()))


@given(st.lists(st.integers(-(2**31), 2**31 - 1)))
def test_int_array_is_pyarrow_array(values: list[int]) -> None:
    assert int_array(values).equals(pa.array(values, pa.int64()))
    assert int_array(values, pa.int32()).equals(pa.array(values, pa.int32()))
    assert int_array(range(len(values))).equals(pa.array(range(len(values)), pa.int64()))


def test_scalars_are_pyarrow_scalars() -> None:
    assert text_scalar("x").equals(pa.scalar("x", pa.string()))
    assert bool_scalar(True).equals(pa.scalar(True)) and bool_scalar(False).as_py() is False
    filled = pc.fill_null(pa.array([None, "a"], pa.string()), text_scalar("null"))
    assert filled.to_pylist() == ["null", "a"]


def test_whole_is_combine_chunks_also_with_no_chunks() -> None:
    two = pa.chunked_array([["a"], [None, "b"]], pa.string())
    assert whole(two).equals(two.combine_chunks())
    none = pa.chunked_array([], pa.string())
    assert whole(none).equals(none.combine_chunks()) and whole(none).type == pa.string()


def test_nothing_here_imports_pandas() -> None:
    code = (
        "import sys, pyarrow.compute as pc\n"
        "from cscwatch.core.arrow import *\n"
        "a = text_array(['a', None]); int_array(range(3)); float_array([1.0, None])\n"
        "pc.fill_null(pc.equal(a, text_scalar('')), bool_scalar(True))\n"
        "import pyarrow as pa; whole(pa.chunked_array([], pa.string()))\n"
        "print('pandas' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
