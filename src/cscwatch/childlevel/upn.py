"""Format facts about a Unique Pupil Number (UPN), taken before it is pseudonymised.

A UPN is 13 characters: a check letter, the three-digit number of the allocating
authority, eight digits, and a final digit (or, for a temporary UPN, a letter other
than I, O and S). The check letter is the sum of characters 2-13 weighted 2..13,
modulo 23, mapped to ``ABCDEFGHJKLMNPQRTUVWXYZ``; a final letter counts as its place
in that same alphabet. Source: DfE, *Unique pupil numbers (UPNs): guidance for schools
and local authorities*, version 1.2 (gov.uk).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CHECK_ALPHABET", "UpnFacts", "check_letter", "upn_facts"]

#: The 23 letters used for check letters (and temporary final characters).
CHECK_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"


@dataclass(frozen=True, slots=True)
class UpnFacts:
    """What validation needs to know about one UPN, without the UPN."""

    length_ok: bool
    check_ok: bool
    la_code: str | None
    digits_ok: bool
    char13_ok: bool

    @property
    def all_ok(self) -> bool:
        """True when every format test passes (LA code checked separately)."""
        return self.length_ok and self.check_ok and self.digits_ok and self.char13_ok


def check_letter(body: str) -> str | None:
    """The check letter for characters 2-13 of a UPN (``body``, 12 characters).

    Returns None when ``body`` is not 11 digits followed by a digit or a check-alphabet
    letter.
    """
    if len(body) != 12 or not body[:11].isdigit():
        return None
    last = body[11]
    if last.isdigit():
        last_value = int(last)
    elif last in CHECK_ALPHABET:
        last_value = CHECK_ALPHABET.index(last)
    else:
        return None
    total = sum(int(ch) * weight for ch, weight in zip(body[:11], range(2, 13), strict=True))
    total += last_value * 13
    return CHECK_ALPHABET[total % 23]


def upn_facts(upn: str) -> UpnFacts:
    """Format facts of ``upn`` (blanks ignored, case-insensitive)."""
    u = upn.strip().upper()
    length_ok = len(u) == 13
    la = u[1:4] if len(u) >= 4 else None
    digits_ok = len(u) >= 12 and u[4:12].isascii() and u[4:12].isdigit()
    c13 = u[12:13]
    char13_ok = len(u) >= 13 and c13.isascii() and (c13.isdigit() or c13 in CHECK_ALPHABET)
    expected = check_letter(u[1:13]) if length_ok else None
    check_ok = expected is not None and u[0] == expected
    return UpnFacts(length_ok, check_ok, la, digits_ok, char13_ok)
