"""Outlier flags on the pages: words first, colour by what the flag means.

One rendering of :class:`cscwatch.indicators.flags.OutlierFlag` for every page: a GOV.UK
tag with the flag's words ("Higher than expected"), coloured by its meaning for the
indicator (red for worse, blue for better, purple where the indicator has no better
direction, grey within the range), the meaning in words beside it, and any warning
(small denominator, approximate limits) spelled out. Colour is never the only cue.
"""

from __future__ import annotations

from html import escape

from markupsafe import Markup

from cscwatch.indicators.flags import OutlierFlag

__all__ = ["MEANING_TAGS", "flag_html", "flag_text"]

#: GOV.UK tag modifier for each ``flag_meaning`` (``none`` is a within-range flag).
MEANING_TAGS: dict[str, str] = {
    "worse": "govuk-tag--red",
    "better": "govuk-tag--blue",
    "no_direction": "govuk-tag--purple",
    "none": "govuk-tag--grey",
}


def flag_text(f: OutlierFlag | None) -> str:
    """The flag as plain text (for chart descriptions and plain cells)."""
    if f is None:
        return "not assessed"
    return f.summary


def flag_html(f: OutlierFlag | None, *, warning: bool = True, reason: bool = False) -> Markup:
    """The flag as a tag with its meaning and, if ``warning``, its caution in words;
    ``reason`` adds why a figure is not assessed."""
    if f is None or f.flag == "not_assessed":
        why = "" if f is None or not f.flag_warning else f.flag_warning
        return Markup(
            '<span class="app-flag app-flag--none">Not assessed</span>'
            + (f'<span class="app-flag__warning">{escape(why)}</span>' if why and reason else "")
        )
    words = f.flag_words[:1].upper() + f.flag_words[1:]
    tag = MEANING_TAGS[f.flag_meaning]
    html = f'<strong class="govuk-tag {tag} app-flag">{escape(words)}</strong>'
    if f.flag_meaning in ("worse", "better"):
        html += f' <span class="app-flag__meaning">({f.flag_meaning})</span>'
    elif f.flag_meaning == "no_direction":
        html += ' <span class="app-flag__meaning">(no better direction)</span>'
    if warning and f.flag_warning:
        html += (
            f'<span class="app-flag__warning"><strong>Caution:</strong> '
            f"{escape(f.flag_warning)}</span>"
        )
    return Markup(html)
