"""One settings object for the whole program (environment prefix ``CSCWATCH_``).

Build it in the CLI or the app factory and pass it down; never at import time.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import platformdirs
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from cscwatch.core.errors import InputError

__all__ = ["Settings", "bundled", "bundled_snapshot", "parse_memory_limit", "repo_root"]

_MEMORY_LIMIT = re.compile(
    r"([0-9]+(?:\.[0-9]+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)", re.IGNORECASE
)


def parse_memory_limit(text: str) -> str:
    """A memory size for DuckDB's ``memory_limit``, e.g. ``"4GB"`` or ``"512 MiB"``.

    Returns
    -------
    str
        The size as DuckDB reads it (number and unit, no space).

    Raises
    ------
    InputError
        When ``text`` is not a positive number followed by B, KB, MB, GB, TB, KiB, MiB,
        GiB or TiB.
    """
    match = _MEMORY_LIMIT.fullmatch(str(text).strip())
    if match is None or float(match.group(1)) <= 0:
        raise InputError(f"memory limit {text!r} is not a size such as 4GB, 512MB or 8GiB")
    return f"{match.group(1)}{match.group(2)}"


def repo_root() -> Path:
    """The checkout this package runs from (``src/cscwatch/core`` → three levels up).

    Only meaningful in a source checkout; an installed package finds its data with
    :func:`bundled_snapshot` instead.
    """
    return Path(__file__).resolve().parents[3]


def bundled(*parts: str) -> Path | None:
    """A data file or folder the installed wheel carries in ``cscwatch/_bundled``.

    Written there by the build backend (``setup.py``) from the checkout's ``data/`` and
    ``docs/``; ``None`` in a source checkout (including an editable install), which
    reads those in place.
    """
    packaged = resources.files("cscwatch").joinpath("_bundled", *parts)
    if isinstance(packaged, Path) and packaged.exists():
        return packaged
    return None


def bundled_snapshot() -> Path:
    """The published-data snapshot this installation carries.

    A wheel carries it as package data (``cscwatch/_bundled/snapshot``); a source
    checkout reads ``data/snapshot`` in place.
    """
    return bundled("snapshot") or repo_root() / "data" / "snapshot"


def _default_warehouse() -> Path:
    # One location for every entry point (CLI, server, make demo, docs): per user, not per
    # working directory, so an installed cscwatch finds it from anywhere.
    return Path(platformdirs.user_data_dir("cscwatch")) / "cscwatch.duckdb"


def _default_cache() -> Path:
    return Path(platformdirs.user_cache_dir("cscwatch"))


class Settings(BaseSettings):
    """Runtime settings.

    Attributes
    ----------
    warehouse : Path
        The DuckDB warehouse file (``CSCWATCH_WAREHOUSE``); by default
        ``cscwatch.duckdb`` in the user data directory, whichever folder a command
        runs from.
    snapshot_dir : Path
        The bundled snapshot of published data (``CSCWATCH_SNAPSHOT_DIR``); by default
        :func:`bundled_snapshot`.
    shared_data : Path
        The large shared data folder with Ofsted PDFs and CIN samples
        (``CSCWATCH_SHARED_DATA``); used by extraction, tests and benchmarks.
    cache_dir : Path
        Where derived caches live, e.g. the Ofsted extraction cache (``CSCWATCH_CACHE_DIR``).
    pseudonym_key : SecretStr | None
        HMAC key for child identifiers (``CSCWATCH_PSEUDONYM_KEY``). No default.
    pseudonym_key_file : Path | None
        File holding the HMAC key (``CSCWATCH_PSEUDONYM_KEY_FILE``). No default.
    fetch_timeout : float
        Seconds before a download is abandoned (``CSCWATCH_FETCH_TIMEOUT``).
    child_store : Path | None
        The DuckDB file holding child-level CIN census data (``CSCWATCH_CHILD_STORE``).
        No default: where personal data lives is always the user's choice. Kept apart
        from the published warehouse.
    provisional_dir : Path | None
        A folder of an authority's own children in need measures, as written by
        ``cscwatch cin measures --out DIR`` (``CSCWATCH_PROVISIONAL_DIR``). No default:
        when set, ``cscwatch build`` loads them beside the published figures, marked
        provisional. ``cscwatch build --provisional DIR`` overrides it.
    public_url : str | None
        The address the service is reached at, e.g. ``https://cscwatch.example.org``
        (``CSCWATCH_PUBLIC_URL``). Paging links are built under it; without it they are
        relative (path and query). Never taken from a request's ``Host`` header.
    allowed_hosts : list of str
        Host names the server answers to (``CSCWATCH_ALLOWED_HOSTS``, a JSON list such
        as ``["cscwatch.example.org"]``; ``*.example.org`` matches subdomains, ``*``
        any). Other ``Host`` headers get a 400. The default is the loopback names and
        ``testserver``, the name Starlette's test client sends.
    memory_limit : str | None
        The most memory DuckDB may use for child-level work (journeys, measures,
        validation, loads), e.g. ``4GB`` (``CSCWATCH_MEMORY_LIMIT``; the commands'
        ``--memory-limit``). Past it DuckDB writes intermediate results to a temporary
        folder (beside the child store, or ``cache_dir/spill`` for work in memory) and
        carries on. None: DuckDB's default, 80% of the machine's memory.
    """

    model_config = SettingsConfigDict(env_prefix="CSCWATCH_", extra="ignore")

    warehouse: Path = Field(default_factory=_default_warehouse)
    snapshot_dir: Path = Field(default_factory=bundled_snapshot)
    shared_data: Path = Field(default_factory=lambda: repo_root().parent / "shared" / "data")
    cache_dir: Path = Field(default_factory=_default_cache)
    pseudonym_key: SecretStr | None = None
    pseudonym_key_file: Path | None = None
    fetch_timeout: float = 60.0
    child_store: Path | None = None
    provisional_dir: Path | None = None
    public_url: str | None = None
    allowed_hosts: list[str] = Field(
        default_factory=lambda: ["localhost", "127.0.0.1", "[::1]", "testserver"]
    )
    memory_limit: str | None = None

    @field_validator("memory_limit")
    @classmethod
    def _check_memory_limit(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return parse_memory_limit(value)
        except InputError as exc:
            raise ValueError(str(exc)) from None
