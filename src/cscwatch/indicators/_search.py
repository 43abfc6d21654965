"""Matching a user's words to one authority: codes, names, common names, misspellings.

Pure Python over :class:`Candidate` records, so the warehouse-backed resolver
(:func:`cscwatch.indicators.authorities.resolve_authority`) and the Ofsted archive's
name list (:func:`cscwatch.indicators.authorities.resolve_authority_name`) share it.

The tiers, first that answers wins:

1. an LA number or GSS code (any case), or a suggestion's own form ``Name (LA 352)``;
2. a name the publisher has used for the authority, compared after
   :func:`normalise` (case, punctuation, "&", "Saint", "City of", "Council" …); a name
   shared by a former and a current authority (Dorset) means the current one;
3. a common short name (:data:`COMMON_NAMES`, or a name's first part before "and",
   "upon", "on": Telford, Southend, Stockton) or a whole-word part of a name (Hull,
   Durham, Herefordshire, Christchurch);
4. otherwise nothing: close spellings (``difflib``) are offered as suggestions and
   never taken silently. Where tier 2 or 3 finds several authorities (Kingston,
   Yorkshire, Sussex) they are listed as choices.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "COMMON_NAMES",
    "Candidate",
    "Resolution",
    "match",
    "normalise",
]

#: Short names people use that no rule derives from the publisher's name, by LA number.
COMMON_NAMES: dict[str, str] = {
    "bcp": "839",  # Bournemouth, Christchurch and Poole
    "banes": "800",  # Bath and North East Somerset
    "b and nes": "800",
    "bathnes": "800",
    "cwac": "896",  # Cheshire West and Chester
    "east riding": "811",  # East Riding of Yorkshire
    "scilly": "420",  # Isles of Scilly
    "hull": "810",  # Kingston upon Hull, City of
    "bristol": "801",
    "the city": "201",  # City of London
    # the counties' postal abbreviations
    "bucks": "825",
    "cambs": "873",
    "derbys": "830",
    "glos": "916",
    "hants": "850",
    "herts": "919",
    "lancs": "888",
    "leics": "855",
    "lincs": "925",
    "notts": "891",
    "oxon": "931",
    "staffs": "860",
    "warks": "937",
    "wilts": "865",
    "worcs": "885",
}

# Words that qualify a name without telling authorities apart, dropped when comparing.
_PREFIXES = (
    "london borough of ",
    "royal borough of ",
    "metropolitan borough of ",
    "borough of ",
    "city and county of ",
    "county of ",
    "city of ",
    "the ",
)
_SUFFIXES = (
    " metropolitan borough council",
    " borough council",
    " county council",
    " city council",
    " council",
    " city and county of",
    " county of",
    " city of",
)
#: The first part of a name, before one of these words, is a short name for it.
_SHORT_SPLIT = re.compile(r" (?:and|upon|on) ")
_CODE = re.compile(r"^(?:\d{3}|[a-z]\d{8})$")
_SUFFIX_CODE = re.compile(r"\((?:la\s*)?(\d{3})\)\s*$", re.IGNORECASE)


def normalise(text: str) -> str:
    """Lower case, ASCII, "&" as "and", punctuation and hyphens as spaces, "Saint" as "st",
    single spaces (``"Stockton-on-Tees"`` → ``"stockton on tees"``)."""
    t = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    t = re.sub(r"[^a-z0-9]+", " ", t.replace("&", " and "))
    return " ".join("st" if w == "saint" else w for w in t.split())


def _core(norm: str) -> str:
    """A normalised name without its qualifiers (``"bristol city of"`` → ``"bristol"``,
    ``"durham county council"`` → ``"durham"``); the City of London keeps its "City"."""
    t = norm
    for s in _SUFFIXES:
        if t.endswith(s) and len(t) > len(s):
            t = t[: -len(s)]
            break
    for p in _PREFIXES:
        if t.startswith(p) and len(t) > len(p) and t != "city of london":
            t = t[len(p) :]
            break
    return t


@dataclass(frozen=True)
class Candidate:
    """An authority as the matcher sees it: every name and code it is known by."""

    la_code: str
    name: str
    is_current: bool = True
    names: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()
    last_year: int | None = None

    def keys(self) -> set[str]:
        """Its names, normalised, with and without their qualifiers."""
        out: set[str] = set()
        for n in (self.name, *self.names):
            norm = normalise(n)
            out |= {norm, _core(norm)}
        return out


@dataclass(frozen=True)
class Resolution:
    """What :func:`match` made of the text.

    ``la_code`` is set when exactly one authority answers; otherwise ``choices`` (several
    authorities matched equally: ambiguous) or ``suggestions`` (close spellings, nothing
    matched) hold labels that each resolve to one authority when given back.
    """

    la_code: str | None
    how: str
    choices: tuple[str, ...] = ()
    suggestions: tuple[str, ...] = ()


def _labels(cands: Sequence[Candidate]) -> dict[str, str]:
    """A label per authority that :func:`match` resolves back to it: its name, or
    ``Name (LA 835)`` where the name is shared (the former Dorset)."""
    counts: dict[str, int] = {}
    for c in cands:
        counts[normalise(c.name)] = counts.get(normalise(c.name), 0) + 1
    return {
        c.la_code: c.name if counts[normalise(c.name)] == 1 else f"{c.name} (LA {c.la_code})"
        for c in cands
    }


def _order(codes: Iterable[str], by_code: dict[str, Candidate]) -> list[str]:
    """Current authorities first, then by name."""
    return sorted(set(codes), key=lambda c: (not by_code[c].is_current, by_code[c].name, c))


def _contains(haystack: str, needle: str) -> bool:
    return f" {needle} " in f" {haystack} "


def _similarity(key: str, target: str) -> float:
    """difflib's ratio against the whole name, or against its best run of as many words
    less 0.02 (so a whole name beats the same words inside a longer one)."""
    best = difflib.SequenceMatcher(None, key, target).ratio()
    words, n = target.split(), len(key.split())
    if len(words) > n:
        for i in range(len(words) - n + 1):
            part = " ".join(words[i : i + n])
            best = max(best, difflib.SequenceMatcher(None, key, part).ratio() - 0.02)
    return best


def match(
    text: str,
    candidates: Sequence[Candidate],
    *,
    regions: Iterable[str] = (),
    limit: int = 5,
    cutoff: float = 0.75,
) -> Resolution:
    """Match ``text`` to one of ``candidates`` (see the module's tiers).

    ``regions`` are names that are not authorities ("London", "North West"): they are
    never taken as part of an authority's name, only offered as close spellings.
    """
    by_code = {c.la_code: c for c in candidates}
    labels = _labels(candidates)
    keys = {c.la_code: c.keys() for c in candidates}
    raw = text.strip()
    lowered = raw.lower()
    # 1. codes
    if _CODE.match(lowered):
        hits = [c.la_code for c in candidates if lowered in (k.lower() for k in c.codes)]
        if lowered in by_code:
            hits.append(lowered)
        if hits:
            return Resolution(_order(hits, by_code)[0], "code")
    suffix = _SUFFIX_CODE.search(raw)
    if suffix and suffix.group(1) in by_code:
        return Resolution(suffix.group(1), "code")
    key = _core(normalise(raw))
    if not key:
        return Resolution(None, "none")

    def decide(codes: list[str], how: str) -> Resolution | None:
        if not codes:
            return None
        current = [c for c in codes if by_code[c].is_current]
        if len(codes) == 1 or (len(current) == 1 and how == "name"):
            return Resolution((current or codes)[0], how)
        return Resolution(None, "ambiguous", choices=tuple(labels[c] for c in codes))

    # 2. a published name
    exact = _order((c for c, ks in keys.items() if key in ks), by_code)
    found = decide(exact, "name")
    if found:
        return found
    # 3. short and common names, whole-word parts of names
    region_keys = {_core(normalise(r)) for r in regions}
    short: set[str] = set()
    if key in COMMON_NAMES and COMMON_NAMES[key] in by_code:
        short.add(COMMON_NAMES[key])
    if key not in region_keys:
        for code, ks in keys.items():
            if any(_SHORT_SPLIT.split(k, maxsplit=1)[0] == key or _contains(k, key) for k in ks):
                short.add(code)
    found = decide(_order(short, by_code), "short_name")
    if found:
        return found
    # 4. close spellings, offered, never taken: those within 0.1 of the closest
    scored: dict[str, float] = {}
    for code, ks in keys.items():
        common = {k for k, v in COMMON_NAMES.items() if v == code}
        score = max(_similarity(key, k) for k in ks | common)
        if score >= cutoff:
            scored[code] = score
    top = max(scored.values(), default=1.0)
    best = sorted(
        (c for c in scored if scored[c] >= top - 0.1),
        key=lambda c: (-round(scored[c], 3), not by_code[c].is_current, c),
    )
    return Resolution(None, "none", suggestions=tuple(labels[c] for c in best[:limit]))
