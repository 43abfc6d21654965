"""Arrow arrays and scalars made from Python values without importing pandas.

``pyarrow.array`` and ``pyarrow.scalar`` ask, for any Python object they are given,
whether it is a pandas object, and pyarrow answers by importing pandas (about 0.6 s of
CPU on the machines we measure; so do compute functions given a Python ``str`` or
``int``, which they turn into scalars). A command that never touches pandas (``cla
validate``) builds its arrays here instead: from buffers, which pyarrow takes as they
are. The arrays are those ``pyarrow.array(values, type)`` gives (the tests compare them).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["bool_scalar", "float_array", "int_array", "text_array", "text_scalar", "whole"]


def _validity(values: Sequence[object]) -> tuple[pa.Buffer | None, int]:
    # The validity bitmap of ``values`` (None where every value is given) and the nulls.
    import numpy as np
    import pyarrow as pa

    given = np.fromiter((v is not None for v in values), dtype=bool, count=len(values))
    nulls = len(values) - int(given.sum())
    if not nulls:
        return None, 0
    return pa.py_buffer(np.packbits(given, bitorder="little")), nulls


def text_array(values: Sequence[str | None]) -> pa.Array:
    """``pyarrow.array(values, pyarrow.string())``: text, None a null.

    Raises
    ------
    TypeError
        A value is neither text nor None.
    """
    import numpy as np
    import pyarrow as pa

    texts = ["" if v is None else v for v in values]
    try:
        joined = "".join(texts)
    except TypeError:
        odd = next(v for v in texts if not isinstance(v, str))
        raise TypeError(f"expected text or None, got {type(odd).__name__}") from None
    data = joined.encode("utf-8")
    n = len(texts)
    if len(data) == len(joined):  # ASCII: a value's bytes are its characters
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    else:
        lengths = np.fromiter((len(t.encode("utf-8")) for t in texts), dtype=np.int64, count=n)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    validity, nulls = _validity(values)
    large = pa.Array.from_buffers(
        pa.large_string(),
        n,
        [validity, pa.py_buffer(offsets), pa.py_buffer(data)],
        null_count=nulls,
    )
    return large.cast(pa.string())


def text_scalar(value: str) -> pa.Scalar:
    """``pyarrow.scalar(value, pyarrow.string())``: for compute functions' arguments."""
    return text_array([value])[0]


def bool_scalar(value: bool) -> pa.Scalar:
    """``pyarrow.scalar(value, pyarrow.bool_())``."""
    import numpy as np
    import pyarrow as pa

    bits = np.packbits(np.array([value], dtype=bool), bitorder="little")
    return pa.Array.from_buffers(pa.bool_(), 1, [None, pa.py_buffer(bits)])[0]


def int_array(values: Sequence[int], type: pa.DataType | None = None) -> pa.Array:
    """``pyarrow.array(values, type)`` for integers (no nulls); int64 by default."""
    import numpy as np
    import pyarrow as pa

    kind = type or pa.int64()
    data = np.fromiter(values, dtype=np.dtype(f"int{kind.bit_width}"), count=len(values))
    return pa.Array.from_buffers(kind, len(data), [None, pa.py_buffer(data)])


def float_array(values: Sequence[float | int | None]) -> pa.Array:
    """``pyarrow.array(values, pyarrow.float64())``: numbers, None a null."""
    import numpy as np
    import pyarrow as pa

    data = np.fromiter(
        (0.0 if v is None else float(v) for v in values), dtype=np.float64, count=len(values)
    )
    validity, nulls = _validity(values)
    return pa.Array.from_buffers(
        pa.float64(), len(data), [validity, pa.py_buffer(data)], null_count=nulls
    )


def whole(column: pa.ChunkedArray) -> pa.Array:
    """``column.combine_chunks()``, also for a column of no chunks (an empty table's,
    which ``combine_chunks`` makes with ``pyarrow.array([])``)."""
    import pyarrow as pa

    if column.num_chunks == 0:
        return pa.nulls(0, column.type)
    return column.combine_chunks()
