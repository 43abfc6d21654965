"""Outlier flags: one record and one vocabulary for the CLI, the API, the pages and CSV.

An authority's figure is flagged against England's value of the same year with the
limits of ``docs/methods/benchmarking.md``:

* the **default flag** (``flag``) uses 99.8% limits that allow for the variation between
  authorities (Spiegelhalter 2005, additive random effects: on the log scale for rates
  per 10,000, on the percentage scale for percentages);
* the **chance flag** (``chance_flag``) uses the plain binomial or Poisson 99.8% limits
  (sampling variation alone), shown beside the default as secondary information.

Both say ``higher`` (higher than expected), ``lower`` (lower than expected), ``within``
(within expected range) or ``not_assessed`` (no count denominator, or no value).
``flag_meaning`` reads the default flag through the indicator's polarity: ``worse``,
``better``, ``no_direction`` (an outlier on an indicator with no better direction) or
``none`` (within the range, or not assessed). A figure whose denominator is small
(:data:`SMALL_DENOMINATOR`) or whose expected count is under 10 carries a warning.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from cscwatch.core.catalogue.indicator import Polarity

__all__ = [
    "FLAG_FIELDS",
    "FLAG_MEANINGS",
    "FLAG_WORDS",
    "SMALL_DENOMINATOR",
    "OutlierFlag",
    "flag_meaning",
    "make_flag",
]

#: Below this many children (or cases) in a percentage's denominator, one child moves
#: the figure by more than 3.3 percentage points: the figure, its rank and its flag
#: carry a small-denominator warning.
SMALL_DENOMINATOR = 30

#: The words every output uses for each flag value.
FLAG_WORDS: dict[str, str] = {
    "higher": "higher than expected",
    "lower": "lower than expected",
    "within": "within expected range",
    "not_assessed": "not assessed",
}

#: The words for each ``flag_meaning``.
FLAG_MEANINGS: dict[str, str] = {
    "worse": "worse",
    "better": "better",
    "no_direction": "neither better nor worse: the indicator has no better direction",
    "none": "",
}

_BASIS = {
    "per_10k": "random_effects_log",
    "percent": "random_effects",
}
_BASIS_WORDS = {
    "random_effects_log": "99.8% limits allowing for variation between authorities "
    "(random effects on the log scale)",
    "random_effects": "99.8% limits allowing for variation between authorities "
    "(random effects on the percentage scale)",
}


@dataclass(frozen=True)
class OutlierFlag:
    """Whether one figure is higher or lower than expected, and against what.

    Attributes
    ----------
    flag : str
        ``higher``, ``lower``, ``within`` or ``not_assessed`` (the default limits).
    flag_words : str
        The same in words: "higher than expected", "lower than expected",
        "within expected range", "not assessed".
    flag_meaning : str
        ``worse``, ``better``, ``no_direction`` or ``none`` by the indicator's polarity.
    flag_basis : str
        ``random_effects_log`` (rates per 10,000), ``random_effects`` (percentages) or
        ``none`` (not assessed).
    flag_relative_to : str
        What the flag compares with, in words (England's value and the limits used).
    flag_year : int
        The year the figure and England's value are of (the year its data run to).
    flag_centre : float or None
        England's value of ``flag_year``.
    flag_lower, flag_upper : float or None
        The default 99.8% limits at this authority's denominator.
    chance_flag : str
        The flag against the plain binomial or Poisson 99.8% limits (same vocabulary).
    chance_lower, chance_upper : float or None
        Those limits.
    denominator : float or None
        The count the figure divides by (children, referrals, population 0–17).
    small_denominator : bool
        A percentage of fewer than :data:`SMALL_DENOMINATOR` children, or City of London
        or the Isles of Scilly.
    approximate : bool
        England's rate would give this authority fewer than 10 events: the limits'
        normal approximation is poor.
    flag_warning : str or None
        The warnings above in words, or why the figure is not assessed.
    """

    flag: str
    flag_words: str
    flag_meaning: str
    flag_basis: str
    flag_relative_to: str
    flag_year: int
    flag_centre: float | None
    flag_lower: float | None
    flag_upper: float | None
    chance_flag: str
    chance_lower: float | None
    chance_upper: float | None
    denominator: float | None
    small_denominator: bool
    approximate: bool
    flag_warning: str | None

    def to_dict(self) -> dict[str, object]:
        """Plain dict (for JSON and CSV rows: the same field names)."""
        return asdict(self)

    @property
    def meaning_words(self) -> str:
        """``flag_meaning`` in words (empty for ``none``)."""
        return FLAG_MEANINGS[self.flag_meaning]

    @property
    def summary(self) -> str:
        """One line: the words, the meaning and any warning."""
        text = self.flag_words
        if self.flag_meaning in ("worse", "better"):
            text += f" ({self.flag_meaning})"
        if self.flag_warning and self.flag != "not_assessed":
            text += f"; {self.flag_warning}"
        elif self.flag == "not_assessed" and self.flag_warning:
            text += f": {self.flag_warning}"
        return text


#: The flag's field names, in order (CSV columns of every table that carries it).
FLAG_FIELDS: tuple[str, ...] = tuple(OutlierFlag.__dataclass_fields__)


def flag_meaning(flag: str, polarity: Polarity | str) -> str:
    """``worse``/``better``/``no_direction``/``none`` for a flag on an indicator."""
    if flag not in ("higher", "lower"):
        return "none"
    pol = Polarity(polarity)
    if pol is Polarity.NEUTRAL:
        return "no_direction"
    return "better" if (flag == "higher") == (pol is Polarity.HIGH_GOOD) else "worse"


def _warning(
    *, kind: str | None, denominator: float | None, small: bool, approximate: bool
) -> str | None:
    parts = []
    if small and denominator is not None and kind == "percent" and denominator < SMALL_DENOMINATOR:
        parts.append(
            f"small denominator ({denominator:,.0f}; under {SMALL_DENOMINATOR}): "
            "one child moves the figure a long way"
        )
    elif small:
        parts.append("very small authority: rates swing widely from year to year")
    if approximate:
        parts.append("fewer than 10 expected events: the limits are approximate")
    return "; ".join(parts) or None


def make_flag(
    *,
    kind: str | None,
    polarity: Polarity | str,
    year: int,
    value: float | None,
    centre: float | None,
    denominator: float | None,
    lower: float | None,
    upper: float | None,
    flag: str | None,
    chance_lower: float | None,
    chance_upper: float | None,
    chance_flag: str | None,
    small_denominator: bool,
    approximate: bool,
    compared_year: str = "the same year",
    ceased: bool = False,
) -> OutlierFlag:
    """The flag record from a ``benchmark`` row's columns (``flag`` is NULL where the
    figure is not assessed). ``compared_year`` names the year of England's value in
    ``flag_relative_to`` (a provisional figure is compared with the latest published
    year). ``ceased``: a former authority's figure after it ceased (``method =
    'ceased'``), which is not assessed as an authority's."""
    if flag is None or kind is None:
        if ceased:
            why = (
                "a former authority's figure for a year after it ceased: not assessed "
                "as an authority's (see the rank note)"
            )
        elif kind is None:
            why = "no denominator to set limits with (a count, or a rate published without one)"
        elif value is None:
            why = "no figure (suppressed or not published)"
        else:
            why = "no denominator or no England figure for this year"
        if small_denominator:
            why += "; very small authority: rates swing widely from year to year"
        return OutlierFlag(
            flag="not_assessed",
            flag_words=FLAG_WORDS["not_assessed"],
            flag_meaning="none",
            flag_basis="none",
            flag_relative_to="",
            flag_year=year,
            flag_centre=centre,
            flag_lower=None,
            flag_upper=None,
            chance_flag="not_assessed",
            chance_lower=None,
            chance_upper=None,
            denominator=denominator,
            small_denominator=small_denominator,
            approximate=False,
            flag_warning=why,
        )
    basis = _BASIS[kind]
    return OutlierFlag(
        flag=flag,
        flag_words=FLAG_WORDS[flag],
        flag_meaning=flag_meaning(flag, polarity),
        flag_basis=basis,
        flag_relative_to=f"England's value for {compared_year}, {_BASIS_WORDS[basis]}",
        flag_year=year,
        flag_centre=centre,
        flag_lower=lower,
        flag_upper=upper,
        chance_flag=chance_flag or "not_assessed",
        chance_lower=chance_lower,
        chance_upper=chance_upper,
        denominator=denominator,
        small_denominator=small_denominator,
        approximate=approximate,
        flag_warning=_warning(
            kind=kind, denominator=denominator, small=small_denominator, approximate=approximate
        ),
    )
