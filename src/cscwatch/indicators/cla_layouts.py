"""Tidy layouts an SSDA903 return's own figures are written in, declared once.

Beside the published data they describe, as :mod:`.cin_layouts` is for the CIN census:
:mod:`cscwatch.childlevel.ssda903.measures` writes them and
:mod:`cscwatch.indicators.provisional` checks and loads the published ones.

Two are the publisher's own files in the snapshot (``cla``:
``cla_number_and_rate_per_10k_children.csv``; ``stability``:
``la_cla_placement_stability.csv``): same columns, same filter labels, so the warehouse
loads them as provisional rows beside the published ones
(:mod:`cscwatch.indicators.provisional`). The others have no published file in the
snapshot; they follow the same tidy conventions (geography columns, filter columns, then
count and percentage columns) and are written with an explore-education-statistics
``.meta.csv`` beside them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "CLA_LAYOUTS",
    "GEO_COLUMNS",
    "POPULATION_TYPES",
    "STABILITY_GROUPS",
    "TOTAL_LABELS",
    "ClaLayout",
]

#: Geography columns, in the order of the published looked-after files.
GEO_COLUMNS: tuple[str, ...] = (
    "time_period",
    "time_identifier",
    "geographic_level",
    "country_code",
    "country_name",
    "region_code",
    "region_name",
    "old_la_code",
    "la_name",
    "new_la_code",
)

#: ``population_type`` labels of the published numbers-and-rates file.
POPULATION_TYPES: dict[str, str] = {
    "at31": "Children looked after on 31 March each year",
    "started": "Children starting to be looked after each year",
    "ceased": "Children ceasing to be looked after each year",
}

#: The label of a group's total row (the last filter's value), per layout.
TOTAL_LABELS: frozenset[str] = frozenset(
    {"Total", "Total children", "Looked after during the year"}
)

#: ``cla_group`` → its ``placement_stability`` rows (the part, then the total), as
#: published in ``la_cla_placement_stability.csv``.
STABILITY_GROUPS: dict[str, tuple[str, str]] = {
    "CLA on 31 March": ("With 3 or more placements during the year", "Total children"),
    "CLA 2 years on 31 March": (
        "With 3 or more placements during the previous 2 years",
        "Total children",
    ),
    "Children looked after continuously for at least 2.5 years on 31 March aged under 16 years": (
        "Living with the same carer for at least 2 years",
        "Total children",
    ),
}


@dataclass(frozen=True)
class ClaLayout:
    """One tidy layout.

    Attributes
    ----------
    key : str
        Short name (``cla``, ``stability``, ``characteristics``...).
    file : str
        The file ``cscwatch cla measures --out`` writes.
    title : str
        What the file holds, for people and the ``.meta.csv``.
    filters : tuple of str
        Filter columns (after the geography columns).
    counts : tuple of str
        Count columns (disclosure-controlled).
    percents : dict of str → str
        Percentage column → the count it is a percentage of, out of the row's group
        total (the row whose last filter is ``Total``/``Total children``), to
        ``digits`` places.
    averages : dict of str → (str, str)
        Average column → (sum column, count column) of the same row; the sum column
        is in ``hidden`` (never shown).
    hidden : tuple of str
        Count columns used for derived figures but never written.
    context : tuple of str
        Public figures written before the counts, not disclosure-controlled (the ONS
        population estimate a rate divides by).
    rates : dict of str → str
        Rate per 10,000 column → the count it is made from (divided by the row's
        ``population_estimate``), whole numbers as DfE writes them.
    additive : bool
        The rows of a group (same filters but the last) add up to its total row: a
        relation secondary suppression keeps.
    published : bool
        True for a layout DfE publishes (loadable as provisional rows).
    digits : int
        Decimal places of the percentages (DfE rounds these files' percentages to
        whole numbers).
    """

    key: str
    file: str
    title: str
    filters: tuple[str, ...]
    counts: tuple[str, ...]
    percents: dict[str, str]
    averages: dict[str, tuple[str, str]] = field(default_factory=dict)
    hidden: tuple[str, ...] = ()
    context: tuple[str, ...] = ()
    rates: dict[str, str] = field(default_factory=dict)
    additive: bool = False
    published: bool = False
    digits: int = 0

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column, in order (without the trailing ``provisional``)."""
        return (*GEO_COLUMNS, *self.filters, *self.context, *self.counts, *self.percents,
                *self.rates, *self.averages)  # fmt: skip


CLA_LAYOUTS: dict[str, ClaLayout] = {
    lay.key: lay
    for lay in (
        ClaLayout(
            "cla",
            "cla_number_and_rate_per_10k_children_provisional.csv",
            "Children looked after, starting and ceasing: numbers and rates per 10,000",
            ("population_type",),
            ("children_count",),
            {},
            context=("population_estimate",),
            rates={"rate_per_10000": "children_count"},
            published=True,
        ),
        ClaLayout(
            "stability",
            "la_cla_placement_stability_provisional.csv",
            "Placement stability of children looked after",
            ("cla_group", "placement_stability"),
            ("children_count",),
            {"children_percent": "children_count"},
            published=True,
        ),
        ClaLayout(
            "characteristics",
            "la_cla_characteristics_provisional.csv",
            "Children looked after at 31 March, starting and ceasing, by characteristic",
            ("population_type", "characteristic", "characteristic_value"),
            ("children_count",),
            {"children_percent": "children_count"},
            additive=True,
        ),
        ClaLayout(
            "distance",
            "la_cla_placement_distance_provisional.csv",
            "Children looked after at 31 March by distance between home and placement",
            ("distance_band",),
            ("children_count",),
            {"children_percent": "children_count"},
            additive=True,
        ),
        ClaLayout(
            "missing",
            "la_cla_missing_provisional.csv",
            "Children looked after during the year who went missing or were away without "
            "authorisation",
            ("missing_type",),
            ("children_count", "incidents_count"),
            {"children_percent": "children_count"},
            digits=1,
        ),
        ClaLayout(
            "care_leavers",
            "la_cla_care_leavers_provisional.csv",
            "Care leavers (OC3): contact, activity and accommodation by age",
            ("age_group", "characteristic", "characteristic_value"),
            ("children_count",),
            {"children_percent": "children_count"},
            additive=True,
        ),
        ClaLayout(
            "adoption",
            "la_cla_adoption_timeliness_provisional.csv",
            "Children adopted in the year and the average days between stages",
            ("adoption_stage",),
            ("children_count",),
            {},
            averages={"average_days": ("total_days", "children_count")},
            hidden=("total_days",),
        ),
    )
}
