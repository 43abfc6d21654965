"""JSON round-trip for the read-only results dataclasses, and small shared statistics.

``dump`` turns a (nested) frozen dataclass into plain JSON-able data (NaN → ``None``,
dates → ISO strings); ``load`` rebuilds it from its type hints, so
``load(type(r), json.loads(json.dumps(dump(r)))) == r``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import types
import typing
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np

T = TypeVar("T")


def _clean(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _clean(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, date):
        return value.isoformat()
    return value


def dump(obj: Any) -> dict[str, Any]:
    """Plain JSON-able dict of a results dataclass."""
    out = _clean(obj)
    assert isinstance(out, dict)
    return out


def _load(tp: Any, value: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return None if value is None else _load(args[0], value)
    if origin is tuple:
        items = typing.get_args(tp)
        if len(items) == 2 and items[1] is Ellipsis:
            return tuple(_load(items[0], v) for v in value)
        return tuple(_load(a, v) for a, v in zip(items, value, strict=True))
    if origin is dict:
        _, vt = typing.get_args(tp)
        return {k: _load(vt, v) for k, v in value.items()}
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return load(tp, value)
    if tp is date:
        return date.fromisoformat(value)
    if tp is float:
        return float(value)
    return value


def load(cls: type[T], data: dict[str, Any]) -> T:
    """Rebuild a results dataclass from :func:`dump` output."""
    hints = typing.get_type_hints(cls)
    kwargs = {
        f.name: _load(hints[f.name], data[f.name])
        for f in dataclasses.fields(cls)  # type: ignore[arg-type]
        if f.init
    }
    return cls(**kwargs)


def opt(x: float) -> float | None:
    """``None`` for NaN/inf, else a plain float."""
    x = float(x)
    return x if math.isfinite(x) else None


def percentile_ci(samples: np.ndarray, level: float = 0.95) -> tuple[float | None, float | None]:
    """Percentile interval of bootstrap samples (NaNs dropped)."""
    s = samples[np.isfinite(samples)]
    if s.size < 10:
        return None, None
    a = (1 - level) / 2
    return opt(np.quantile(s, a)), opt(np.quantile(s, 1 - a))


class _ToDict(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


C = TypeVar("C", bound=_ToDict)


def cached_json(path: Path, read: Callable[[dict[str, Any]], C], make: Callable[[], C]) -> C:
    """``read`` of the JSON stored at ``path``, else ``make()``, stored there (written to
    a temporary file, then renamed). A cache is an optimisation: one that cannot be read
    is made again, one that cannot be written costs only time."""
    try:
        return read(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        pass
    made = make()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(made.to_dict()), encoding="utf-8")
        tmp.replace(path)
    except OSError:
        pass
    return made
