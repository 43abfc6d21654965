"""Pseudonymisation of child identifiers at ingest (HMAC-SHA256).

``LAchildID``, ``UPN`` and ``FormerUPN`` are replaced by
``HMAC-SHA256(key, identifier)`` as lower-case hex the moment they are read; the raw
values are never written to a table, a log or an output. The key comes from
``CSCWATCH_PSEUDONYM_KEY`` or the file named by ``CSCWATCH_PSEUDONYM_KEY_FILE``; there is
no default, and child data is refused without one.

The one exception is synthetic data: a file whose header carries
``<SoftwareCode>cscwatch-synthetic</SoftwareCode>`` (the marker written by
``cscwatch cin synth``) may be read with the published :data:`DEMO_KEY` when no key is
configured, so demos and tests run without secrets. The demo key is public, so a
pseudonym made with it protects nothing: it is never used for a file without the
marker, whatever flags are given.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from cscwatch.core.config import Settings
from cscwatch.core.errors import ConfigError

__all__ = [
    "DEMO_KEY",
    "MIN_KEY_BYTES",
    "SYNTHETIC_MARKER",
    "Pseudonymiser",
    "resolve_pseudonymiser",
]

#: The header ``<SoftwareCode>`` that marks a file as synthetic (made by cscwatch).
SYNTHETIC_MARKER = "cscwatch-synthetic"

#: The fixed, public key used only for files carrying :data:`SYNTHETIC_MARKER`.
DEMO_KEY = b"cscwatch-demo-key:synthetic-data-only:not-a-secret"

#: Shortest key accepted (bytes): HMAC-SHA256 keys shorter than this are guessable.
MIN_KEY_BYTES = 16


class Pseudonymiser:
    """Maps an identifier to ``HMAC-SHA256(key, identifier)`` hex.

    Parameters
    ----------
    key : bytes
        The secret key, at least :data:`MIN_KEY_BYTES` long.
    demo : bool
        True when ``key`` is the public :data:`DEMO_KEY`.
    """

    __slots__ = ("_inner", "_key", "_outer", "demo")

    def __init__(self, key: bytes, *, demo: bool = False) -> None:
        if len(key) < MIN_KEY_BYTES:
            raise ConfigError(f"pseudonym key is too short: use at least {MIN_KEY_BYTES} bytes")
        self._key = key
        self.demo = demo
        # HMAC's keyed inner and outer hashes (RFC 2104), made once: hashing many
        # identifiers then costs two hash copies each instead of a fresh HMAC.
        block = hashlib.sha256().block_size
        k = hashlib.sha256(key).digest() if len(key) > block else key
        k = k.ljust(block, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in k))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in k))

    def __getstate__(self) -> dict[str, object]:
        # Hash objects do not pickle; worker processes rebuild them from the key.
        return {"key": self._key, "demo": self.demo}

    def __setstate__(self, state: dict[str, object]) -> None:
        key, demo = state["key"], state["demo"]
        assert isinstance(key, bytes)
        self.__init__(key, demo=bool(demo))  # type: ignore[misc]

    def __repr__(self) -> str:
        # Never show the key.
        return f"Pseudonymiser(demo={self.demo})"

    def __call__(self, identifier: str | None) -> str | None:
        """The pseudonym of ``identifier`` (surrounding blanks ignored); None stays None."""
        if identifier is None:
            return None
        text = identifier.strip()
        if not text:
            return None
        return hmac.new(self._key, text.encode("utf-8"), hashlib.sha256).hexdigest()

    def upn(self, upn: str | None) -> str | None:
        """The pseudonym of a UPN, upper-cased first so case does not split one pupil."""
        return self(upn.upper() if upn is not None else None)

    def many(self, identifiers: Sequence[str | None], *, upper: bool = False) -> list[str | None]:
        """The pseudonyms of many identifiers at once, as :meth:`__call__` (or :meth:`upn`
        with ``upper``) gives them one by one, only faster."""
        inner, outer = self._inner, self._outer
        out: list[str | None] = []
        append = out.append
        for identifier in identifiers:
            if identifier is None:
                append(None)
                continue
            text = identifier.upper().strip() if upper else identifier.strip()
            if not text:
                append(None)
                continue
            h = inner.copy()
            h.update(text.encode("utf-8"))
            o = outer.copy()
            o.update(h.digest())
            append(o.hexdigest())
        return out


def _configured_key(settings: Settings) -> bytes | None:
    if settings.pseudonym_key is not None and settings.pseudonym_key_file is not None:
        raise ConfigError("set only one of CSCWATCH_PSEUDONYM_KEY and CSCWATCH_PSEUDONYM_KEY_FILE")
    if settings.pseudonym_key is not None:
        return settings.pseudonym_key.get_secret_value().encode("utf-8")
    if settings.pseudonym_key_file is not None:
        try:
            raw = settings.pseudonym_key_file.read_bytes()
        except OSError as exc:
            raise ConfigError(
                f"cannot read pseudonym key file {settings.pseudonym_key_file}: {exc.strerror}"
            ) from None
        return raw.strip()
    return None


def resolve_pseudonymiser(settings: Settings, *, synthetic: bool) -> Pseudonymiser:
    """The pseudonymiser for one file.

    Parameters
    ----------
    settings : Settings
        Supplies ``pseudonym_key`` or ``pseudonym_key_file``.
    synthetic : bool
        True when the file's header carries :data:`SYNTHETIC_MARKER`.

    Raises
    ------
    ConfigError
        No key is configured and the file is not synthetic; both key settings are set;
        the key file cannot be read; the key is too short.
    """
    key = _configured_key(settings)
    if key is not None:
        return Pseudonymiser(key)
    if synthetic:
        return Pseudonymiser(DEMO_KEY, demo=True)
    raise ConfigError(
        "no pseudonym key: set CSCWATCH_PSEUDONYM_KEY or CSCWATCH_PSEUDONYM_KEY_FILE "
        "before reading child-level data"
    )
