"""Rules 200-299: agreement with last year's return, UPN codes, placement details.

A blank field is NULL once staged; "present" means not blank. In a CSV return a child's
UASC status is not a field: as in the open validator, a child is taken to be UASC in a
year when the child has a record in that year's UASC table.

Rules needing Ofsted's provider lists (219, 221, 224, 227, 228, 229) run when the user
gives the lists (``--providers``, :mod:`..providers`); their SQL reads the staged
``providers`` table, one row per URN (``urn``; ``place_codes``, ``provider_codes`` and
``postcodes`` as lists; ``reg_end`` DATE, NULL while registered). An episode's URN is
matched ignoring case, as the open validator (which upper-cases every value) matches it.
"""

from __future__ import annotations

from cscwatch.childlevel.ssda903.rules.base import rule
from cscwatch.childlevel.ssda903.rules.codes import OC2_ITEMS, sql_list

__all__: list[str] = []

_TEMPORARY = ("T0", "T1", "T2", "T3", "T4")
#: Placement types without a provider (rule 213), by the first year they apply to.
_NO_PROVIDER = {
    "lac2022_23": _TEMPORARY,
    "lac2025_26": (*_TEMPORARY, "Z11", "Z12", "Z13", "Z14"),
}
#: Placement types with no Ofsted URN: exempt from rule 218, flagged by rule 222.
_NO_URN = {
    "lac2022_23": ("H5", "P1", "P2", "P3", "R1", "R2", "R5", *_TEMPORARY, "Z1"),
    "lac2023_24": ("P1", "P2", "P3", "R1", "R2", "R5", *_TEMPORARY, "Z1"),
    "lac2024_25": ("P1", "P3", "R1", "R2", "R5", *_TEMPORARY, "Z1"),
    "lac2025_26": ("P1", "P3", "R1", "R2", "R5", *_TEMPORARY, "Z11", "Z12", "Z13", "Z14"),
}
_UNKNOWN_URN = "XXXXXXX"

#: Placement postcode in an area wholly outside England (Northern Ireland, Scotland,
#: Wales, Channel Islands, Isle of Man). DfE exempts such placements from URN rules by
#: the placement's local authority (PL_LA), derived from a postcode lookup cscwatch does
#: not stage; areas straddling the border (TD, CH, SY, LD, NP, HR) count as English.
_OUTSIDE_ENGLAND = (
    "coalesce(regexp_matches(upper(pl_post), "
    "'^(BT|AB|DD|DG|EH|FK|HS|IV|KA|KW|KY|ML|PA|PH|ZE|CF|LL|SA|GY|JE|IM)[0-9]|^G[0-9]'), "
    "false)"
)


def _header_differs(expr: str) -> str:
    return f"""
    SELECT 'header' AS tbl, h.row_no FROM header h JOIN header_last l ON l.child = h.child
    WHERE {expr}
    """


@rule("202", tables=("header",), needs=("previous",))
def _r202() -> str:
    """Header whose SEX differs from SEX on the child's header in last year's return (a
    blank on one side and a code on the other differ; both blank agree)."""
    return _header_differs("h.sex IS DISTINCT FROM l.sex")


@rule("202", tables=("header",), needs=("previous",), ruleset="lac2024_25")
def _r202_2024() -> str:
    """As before, but 2024-25 replaced the sex codes 1 and 2 with M and F: last year's 1
    is read as M and 2 as F before comparing, so a return moving to the new codes is not
    flagged for every child (the open validator compares the raw codes)."""
    return _header_differs(
        "h.sex IS DISTINCT FROM CASE l.sex WHEN '1' THEN 'M' WHEN '2' THEN 'F' ELSE l.sex END"
    )


@rule("203", tables=("header",), needs=("previous",))
def _r203() -> str:
    """Header whose DOB differs from last year's for the same child: compared as dates
    when both parse (so ``1/2/2010`` equals ``01/02/2010``), as text otherwise."""
    return _header_differs(
        "coalesce(h.dob_d::VARCHAR, h.dob) IS DISTINCT FROM coalesce(l.dob_d::VARCHAR, l.dob)"
    )


@rule("204", tables=("header",), needs=("previous",))
def _r204() -> str:
    """Header whose ETHNIC differs from last year's for the same child (case ignored)."""
    return _header_differs("upper(h.ethnic) IS DISTINCT FROM upper(l.ethnic)")


@rule("205A", tables=("header", "uasc"), needs=("previous",))
def _r205a() -> str:
    """Child UASC last year (in last year's UASC table) but not this year (in this
    year's header, not in this year's UASC table) whose DUC last year is blank, invalid
    or outside last year's collection period: a status that ended must have ended last
    year. The header record is flagged (there is no UASC record this year). The open
    validator only looks at children in this year's UASC table, which for a CSV return
    are all UASC, so it never flags this."""
    return """
    SELECT 'header' AS tbl, h.row_no FROM header h
    JOIN uasc_last l ON l.child = h.child CROSS JOIN collection c
    WHERE h.child NOT IN (SELECT child FROM uasc WHERE child IS NOT NULL)
      AND NOT coalesce(l.duc_d BETWEEN c.collection_start - INTERVAL 1 YEAR
                                   AND c.collection_end - INTERVAL 1 YEAR, false)
    """


@rule("205B", tables=("header", "uasc"), needs=("previous",))
def _r205b() -> str:
    """Child UASC both years (in both years' UASC tables) when last year's DUC is not the
    18th birthday by last year's UASC DOB (blank fails), or this year's DUC is neither
    within this collection year nor equal to last year's DUC. The UASC record is flagged
    with the child's header record. This is the open validator's reading of DfE's rule:
    a status carried into this year must have had its expected end, the 18th birthday,
    recorded last year."""
    return """
    WITH bad AS (
        SELECT u.row_no AS uasc_row, u.child FROM uasc u
        JOIN uasc_last l ON l.child = u.child CROSS JOIN collection c
        WHERE NOT coalesce(l.duc_d = l.dob_d + INTERVAL 18 YEAR, false)
           OR (NOT coalesce(u.duc_d BETWEEN c.collection_start AND c.collection_end, false)
               AND NOT coalesce(u.duc_d = l.duc_d, false))
    )
    SELECT 'uasc' AS tbl, uasc_row AS row_no FROM bad
    UNION ALL
    SELECT 'header' AS tbl, h.row_no FROM header h JOIN bad b ON b.child = h.child
    """


@rule("205C", tables=("header", "uasc"), needs=("previous",))
def _r205c() -> str:
    """UASC record this year with a DUC given this year or in the child's UASC record
    last year, for a child whose UASC status is 0 or blank both in this year's header
    and in last year's: a date the status ceased with no status. The UASC record and the
    child's header are flagged. The status is the XML header's ``<UASC>``; in a CSV set it
    is having a UASC record (so a child with a UASC record this year is UASC, and the rule
    cannot fail there, as in the open validator)."""
    return """
    WITH bad AS (
        SELECT u.row_no AS uasc_row, u.child FROM uasc u
        LEFT JOIN header h ON h.child = u.child
        LEFT JOIN header_last hl ON hl.child = u.child
        LEFT JOIN uasc_last l ON l.child = u.child
        WHERE coalesce(h.uasc, '0') = '0' AND coalesce(hl.uasc, '0') = '0'
          AND (u.duc IS NOT NULL OR l.duc IS NOT NULL)
    )
    SELECT 'uasc' AS tbl, uasc_row AS row_no FROM bad
    UNION ALL
    SELECT 'header' AS tbl, h.row_no FROM header h JOIN bad b ON b.child = h.child
    """


@rule("205D", tables=("header", "uasc"), needs=("previous",))
def _r205d() -> str:
    """Header of a child UASC this year (in this year's UASC table) who was in last
    year's return (header) but not in last year's UASC table."""
    return """
    SELECT 'header' AS tbl, h.row_no FROM header h JOIN header_last l ON l.child = h.child
    WHERE h.child IN (SELECT child FROM uasc)
      AND h.child NOT IN (SELECT child FROM uasc_last WHERE child IS NOT NULL)
    """


@rule("207", tables=("header", "episodes"), needs=("previous",))
def _r207() -> str:
    """Header of a child with episodes this year whose MOTHER was 1 last year and is
    now something else, blank included (a mother stays a mother; 0 to 1 is allowed)."""
    return """
    SELECT 'header' AS tbl, h.row_no FROM header h JOIN header_last l ON l.child = h.child
    WHERE l.mother = '1' AND h.mother IS DISTINCT FROM '1'
      AND h.child IN (SELECT child FROM episodes)
    """


@rule("208", tables=("header",), needs=("previous",))
def _r208() -> str:
    """Header whose UPN (case ignored) differs from last year's for the same child,
    except the changes that are allowed: from UN1 or blank to UN2-UN5, and from blank or
    an unknown code (UN1-UN5) to a real UPN. Known to blank, known to another known UPN,
    known to an unknown code and UN2-UN5 to another unknown code are flagged. Both blank
    passes (left to rules on missing UPNs). The unknown codes must reach the rule as
    written: a reader that pseudonymises them like real UPNs makes a change from UN1 to a
    UPN look like a change between two UPNs, which is then flagged."""
    return """
    SELECT 'header' AS tbl, row_no FROM (
        SELECT h.row_no, upper(h.upn) AS now, upper(l.upn) AS was
        FROM header h JOIN header_last l ON l.child = h.child)
    WHERE now IS DISTINCT FROM was
      AND NOT ((was IS NULL OR was = 'UN1')
               AND coalesce(now IN ('UN2', 'UN3', 'UN4', 'UN5'), false))
      AND NOT ((was IS NULL OR was IN ('UN1', 'UN2', 'UN3', 'UN4', 'UN5'))
               AND now IS NOT NULL AND now NOT IN ('UN1', 'UN2', 'UN3', 'UN4', 'UN5'))
    """


@rule("209", tables=("header",))
def _r209() -> str:
    """Header with UPN UN1 (child not yet in school) for a child of school age: 4 or
    older on 31 August of the year before the collection year starts (31 August 2023
    for 2024-25), as DfE's specification, quoted by the open validator, puts it. Needs
    the code UN1 as written, not pseudonymised."""
    return """
    SELECT 'header' AS tbl, h.row_no FROM header h, collection c
    WHERE h.upn = 'UN1'
      AND h.dob_d + INTERVAL 4 YEAR <= make_date(year(c.collection_start) - 1, 8, 31)
    """


@rule("210", tables=("header", "episodes"))
def _r210() -> str:
    """Header with UPN UN4 (UPN not obtained because the child was newly looked after)
    and any episode of the child starting on or after 24 March of the year the
    collection ends: DfE's test of "looked after for more than a week at 31 March".
    The header and each such episode are flagged. Needs the code UN4 as written, not
    pseudonymised."""
    return """
    WITH bad AS (
        SELECT h.row_no AS h_row, e.row_no AS e_row FROM header h
        JOIN episodes e ON e.child = h.child CROSS JOIN collection c
        WHERE h.upn = 'UN4' AND e.decom_d >= make_date(c.year, 3, 24)
    )
    SELECT DISTINCT 'header' AS tbl, h_row AS row_no FROM bad
    UNION ALL
    SELECT 'episodes' AS tbl, e_row AS row_no FROM bad
    """


@rule("213", tables=("episodes",), shows=("PLACE",))
def _r213() -> str:
    """Episode with PLACE_PROVIDER present for a temporary placement (T0 to T4).
    DfE's catalogue gives PLACE_PROVIDER as the affected field; the finding also shows the
    record's PLACE, which the rule tests."""
    return f"""
    SELECT 'episodes' AS tbl, row_no FROM episodes
    WHERE place IN {sql_list(_NO_PROVIDER["lac2022_23"])} AND place_provider IS NOT NULL
    """


@rule("213", tables=("episodes",), ruleset="lac2025_26", shows=("PLACE",))
def _r213_2025() -> str:
    """Episode with PLACE_PROVIDER present for a placement type without provider from
    2025-26: temporary (T0 to T4) and Z11 to Z14.
    DfE's catalogue gives PLACE_PROVIDER as the affected field; the finding also shows the
    record's PLACE, which the rule tests."""
    return f"""
    SELECT 'episodes' AS tbl, row_no FROM episodes
    WHERE place IN {sql_list(_NO_PROVIDER["lac2025_26"])} AND place_provider IS NOT NULL
    """


@rule("214", tables=("episodes",))
def _r214() -> str:
    """Short-break episode (LS V3 or V4) with PL_POST or URN present."""
    return """
    SELECT 'episodes' AS tbl, row_no FROM episodes
    WHERE ls IN ('V3', 'V4') AND (pl_post IS NOT NULL OR urn IS NOT NULL)
    """


@rule("215", tables=("oc2", "oc3"))
def _r215() -> str:
    """OC3 record with any of IN_TOUCH, ACTIV, ACCOM present for a child whose OC2
    record has any of the eight 12-month items present; both records are flagged."""
    oc3_any = "(o3.in_touch IS NOT NULL OR o3.activ IS NOT NULL OR o3.accom IS NOT NULL)"
    oc2_any = "(" + " OR ".join(f"o2.{f} IS NOT NULL" for f in OC2_ITEMS) + ")"
    return f"""
    WITH bad AS (
        SELECT o3.row_no AS r3, o2.row_no AS r2 FROM oc3 o3 JOIN oc2 o2 ON o2.child = o3.child
        WHERE {oc3_any} AND {oc2_any}
    )
    SELECT 'oc3' AS tbl, r3 AS row_no FROM bad
    UNION ALL
    SELECT 'oc2' AS tbl, r2 AS row_no FROM bad
    """


@rule("217", tables=("episodes",))
def _r217() -> str:
    """Episode placed for adoption with current foster carers (PLACE A3 or A5) starting
    on or after 1 April 2015 whose RNE is not S, T or U (blank fails)."""
    return """
    SELECT 'episodes' AS tbl, row_no FROM episodes
    WHERE place IN ('A3', 'A5') AND decom_d >= DATE '2015-04-01'
      AND (rne IS NULL OR rne NOT IN ('S', 'T', 'U'))
    """


@rule("217t", tables=("episodes",), ruleset="lac2023_24")
def _r217t() -> str:
    """Episode with PLACE P2 that ends after 28 October 2023 or has no valid end date
    (open, or DEC not a date): P2 ceased to be a placement type on 28 October 2023, so
    an episode ending that day passes. DfE lists this rule in 2023-24 only."""
    return """
    SELECT 'episodes' AS tbl, row_no FROM episodes
    WHERE place = 'P2' AND (dec_d IS NULL OR dec_d > DATE '2023-10-28')
    """


def _r218_sql(ruleset: str) -> str:
    return f"""
    SELECT 'episodes' AS tbl, e.row_no FROM episodes e, collection c
    WHERE e.urn IS NULL
      AND (e.place IS NULL OR e.place NOT IN {sql_list(_NO_URN[ruleset])})
      AND (e.dec IS NULL OR e.dec_d >= c.collection_start)
      AND NOT {_OUTSIDE_ENGLAND}
    """


@rule("218", tables=("episodes",), shows=("PLACE",))
def _r218() -> str:
    """Episode in the year (open, or ending on or after 1 April; a DEC that is not a
    date counts as not in the year) with no URN, for a placement type other than H5, P1,
    P2, P3, R1, R2, R5, T0-T4, Z1, placed in England. Placed outside England is read
    from the placement postcode's area (BT, Scottish and Welsh areas, GY, JE, IM), since
    PL_LA is not derived here; border areas count as English. A blank PL_POST counts as
    English too: the open validator exempts any episode whose PL_LA it cannot derive,
    which DfE's rule ("PL_LA not in CON, NIR, SCO, WAL, NUK") does not. DfE's catalogue
    gives URN as the affected field; the finding also shows the record's PLACE, which
    the rule tests."""
    return _r218_sql("lac2022_23")


@rule("218", tables=("episodes",), ruleset="lac2024_25", shows=("PLACE",))
def _r218_2024() -> str:
    """As in 2022-23, with H5 and P2 no longer exempt from 2024-25 (H5 now needs a URN;
    P2 is withdrawn): exempt are P1, P3, R1, R2, R5, T0-T4, Z1. Outside England from the
    placement postcode's area as before; a blank PL_POST counts as English.
    DfE's catalogue gives URN as the affected field; the finding also shows the record's
    PLACE, which the rule tests."""
    return _r218_sql("lac2024_25")


@rule("218", tables=("episodes",), ruleset="lac2025_26", shows=("PLACE",))
def _r218_2025() -> str:
    """As in 2024-25, with Z1 split into Z11 to Z14 from 2025-26: exempt are P1, P3,
    R1, R2, R5, T0-T4, Z11-Z14. Outside England from the placement postcode's area; a
    blank PL_POST counts as English.
    DfE's catalogue gives URN as the affected field; the finding also shows the record's
    PLACE, which the rule tests."""
    return _r218_sql("lac2025_26")


_URN_GIVEN = f"e.urn IS NOT NULL AND upper(e.urn) <> '{_UNKNOWN_URN}'"
_PROVIDER = "LEFT JOIN providers p ON p.urn = upper(e.urn)"


@rule("219", tables=("episodes",), needs=("providers",))
def _r219() -> str:
    """Episode with a URN (not XXXXXXX) whose PLACE is not among the placement types
    Ofsted's lists give that URN (a URN they do not list fails too, as in the open
    validator; rule 1008 names it as unknown)."""
    return f"""
    SELECT 'episodes' AS tbl, e.row_no FROM episodes e {_PROVIDER}
    WHERE {_URN_GIVEN} AND NOT coalesce(list_contains(p.place_codes, e.place), false)
    """


def _r221_sql(places: tuple[str, ...]) -> str:
    return f"""
    SELECT 'episodes' AS tbl, e.row_no FROM episodes e {_PROVIDER}
    WHERE {_URN_GIVEN} AND e.ls IS DISTINCT FROM 'V3' AND e.ls IS DISTINCT FROM 'V4'
      AND e.place IN {sql_list(places)} AND e.pl_post IS NOT NULL
      AND NOT coalesce(list_contains(p.postcodes, upper(replace(e.pl_post, ' ', ''))), false)
    """


@rule("221", tables=("episodes",), needs=("providers",), shows=("URN",))
def _r221() -> str:
    """Episode (not V3/V4) in a K1, K2, R3 or S1 placement with a URN (not XXXXXXX) and
    a PL_POST (spacing and case ignored) that is not the postcode Ofsted's lists give
    that URN (a URN they do not list fails too, as in the open validator). DfE's
    catalogue gives PL_POST as the affected field; the finding also shows the record's
    URN, which the rule tests."""
    return _r221_sql(("K1", "K2", "R3", "S1"))


@rule("221", tables=("episodes",), needs=("providers",), ruleset="lac2023_24", shows=("URN",))
def _r221_2023() -> str:
    """As in 2022-23, with H5 placements checked too from 2023-24 (the finding shows
    PL_POST and URN)."""
    return _r221_sql(("H5", "K1", "K2", "R3", "S1"))


@rule("221", tables=("episodes",), needs=("providers",), ruleset="lac2024_25", shows=("URN",))
def _r221_2024() -> str:
    """As in 2023-24, with K3 (supported accommodation) in place of H5 from 2024-25.
    DfE's catalogue gives PL_POST as the affected field; the finding also shows the record's
    URN, which the rule tests."""
    return _r221_sql(("K1", "K2", "K3", "R3", "S1"))


def _r222_sql(ruleset: str) -> str:
    return f"""
    SELECT 'episodes' AS tbl, row_no FROM episodes
    WHERE urn IS NOT NULL AND urn <> '{_UNKNOWN_URN}' AND place IN {sql_list(_NO_URN[ruleset])}
    """


@rule("222", tables=("episodes",), shows=("PLACE",))
def _r222() -> str:
    """Episode with a URN (other than XXXXXXX, "not known") for a placement type that
    has none: H5, P1, P2, P3, R1, R2, R5, T0-T4, Z1. DfE's catalogue gives URN as the
    affected field; the finding also shows the record's PLACE, which the rule tests."""
    return _r222_sql("lac2022_23")


@rule("222", tables=("episodes",), ruleset="lac2023_24", shows=("PLACE",))
def _r222_2023() -> str:
    """As in 2022-23, but H5 placements have URNs from 2023-24: flagged for P1, P2, P3,
    R1, R2, R5, T0-T4, Z1 (the finding shows URN and PLACE)."""
    return _r222_sql("lac2023_24")


@rule("222", tables=("episodes",), ruleset="lac2024_25", shows=("PLACE",))
def _r222_2024() -> str:
    """As in 2023-24 without P2 (withdrawn): P1, P3, R1, R2, R5, T0-T4, Z1.
    DfE's catalogue gives URN as the affected field; the finding also shows the record's
    PLACE, which the rule tests."""
    return _r222_sql("lac2024_25")


@rule("222", tables=("episodes",), ruleset="lac2025_26", shows=("PLACE",))
def _r222_2025() -> str:
    """As in 2024-25 with Z1 split into Z11 to Z14 from 2025-26.
    DfE's catalogue gives URN as the affected field; the finding also shows the record's
    PLACE, which the rule tests."""
    return _r222_sql("lac2025_26")


@rule("224", tables=("episodes",), needs=("providers",), shows=("URN",))
def _r224() -> str:
    """Episode with a URN (not XXXXXXX) whose PLACE_PROVIDER is not among the provider
    codes Ofsted's lists give that URN (a blank provider, or a URN they do not list,
    fails too, as in the open validator).
    DfE's catalogue gives PLACE_PROVIDER as the affected field; the finding also shows the
    record's URN, which the rule tests."""
    return f"""
    SELECT 'episodes' AS tbl, e.row_no FROM episodes e {_PROVIDER}
    WHERE {_URN_GIVEN}
      AND NOT coalesce(list_contains(p.provider_codes, e.place_provider), false)
    """


#: The placing authority of the episode ``e``'s return, as a list.
_OWN_LA = "(SELECT list(p.la) FROM placing_la p WHERE p.ret = record_return(e.row_no))"


@rule("229", tables=("episodes",), needs=("providers", "la_code", "postcodes"))
def _r229() -> str:
    """Episode with a URN (not XXXXXXX) placed with the authority's own provision (PR1)
    when the provider's authority is not the placing authority, or with another
    authority's provision (PR2) when it is. The provider's authority is inferred, as
    DfE's note says and the open validator does, from the postcode Ofsted's lists give
    the URN (its upper-tier authority, :mod:`...placing`). A provider whose authority
    cannot be inferred (a URN the lists do not hold, a postcode the reference does not
    know) is not judged here, where the open validator flags every such PR1 episode:
    rule 1008 names the unknown URN, and a guessed authority would mislead."""
    return f"""
    WITH las AS (
        SELECT p.urn, list(DISTINCT r.pl_la) AS las FROM providers p,
               unnest(p.postcodes) AS t(pc) JOIN postcode_ref r ON r.postcode = t.pc
        WHERE r.pl_la IS NOT NULL GROUP BY p.urn
    )
    SELECT 'episodes' AS tbl, e.row_no FROM episodes e JOIN las l ON l.urn = upper(e.urn)
    WHERE {_URN_GIVEN}
      AND ((e.place_provider = 'PR1' AND NOT list_has_any(l.las, {_OWN_LA}))
        OR (e.place_provider = 'PR2' AND list_has_any(l.las, {_OWN_LA})))
    """


#: Each episode of a known child in order (225 and 226 are conditions of one windowed
#: shared scan, :mod:`...sharedscans`, so the episodes are sorted once for both).
_ORDERED = """
    SELECT 'episodes' AS tbl, row_no FROM episodes WHERE child IS NOT NULL
    WINDOW w AS (PARTITION BY child ORDER BY decom_d NULLS LAST, row_no)
"""


@rule("225", tables=("episodes",))
def _r225() -> str:
    """Episode ending with a change within care (REC X1) in a placement that is not
    temporary (T0-T4), followed (next episode of the child by DECOM, then row) by one
    that starts with a change of placement (RNE P, B, T or U) into a placement that is
    not temporary, with REASON_PLACE_CHANGE blank. Episodes with no valid DECOM sort
    last."""
    temporary = sql_list(_TEMPORARY)
    return f"""
    {_ORDERED}
    QUALIFY rec = 'X1' AND reason_place_change IS NULL
      AND (place IS NULL OR place NOT IN {temporary})
      AND lead(rne) OVER w IN ('P', 'B', 'T', 'U')
      AND (lead(place) OVER w IS NULL OR lead(place) OVER w NOT IN {temporary})
    """


@rule("226", tables=("episodes",))
def _r226() -> str:
    """Episode in a temporary placement (T0-T4) with REASON_PLACE_CHANGE present, or
    whose preceding episode (the child's previous by DECOM, then row) has one: a move
    into or out of a temporary placement is not a placement change to explain. DfE's
    2025-26 message names temporary placements; the test is unchanged."""
    return f"""
    {_ORDERED}
    QUALIFY place IN {sql_list(_TEMPORARY)}
      AND (reason_place_change IS NOT NULL OR lag(reason_place_change) OVER w IS NOT NULL)
    """


@rule("227", tables=("episodes",), needs=("providers",))
def _r227() -> str:
    """Episode with a URN (not XXXXXXX) starting on or after the end of the provider's
    registration as Ofsted's lists give it."""
    return f"""
    SELECT 'episodes' AS tbl, e.row_no FROM episodes e JOIN providers p ON p.urn = upper(e.urn)
    WHERE {_URN_GIVEN} AND e.decom_d >= p.reg_end
    """


@rule("228", tables=("episodes",), needs=("providers",))
def _r228() -> str:
    """Episode with a URN (not XXXXXXX) ending after the provider's registration ended,
    or open at 31 March when registration ended before it (DfE's note: false positives
    for open episodes at providers closing during the year), the end as Ofsted's lists
    give it. A DEC that is not a date takes no part."""
    return f"""
    SELECT 'episodes' AS tbl, e.row_no FROM episodes e JOIN providers p ON p.urn = upper(e.urn)
    CROSS JOIN collection c
    WHERE {_URN_GIVEN} AND p.reg_end IS NOT NULL
      AND ((e.dec_d IS NOT NULL AND e.dec_d > p.reg_end)
           OR (e.dec IS NULL AND c.collection_end > p.reg_end))
    """


@rule("230", tables=("episodes",), ruleset="lac2023_24")
def _r230() -> str:
    """Episode with PLACE H5 ending on or after 29 October 2023 or open (a DEC that is
    not a date counts as open), with URN blank or XXXXXXX, placed in England (outside
    England read from the placement postcode's area as for rule 218; blank PL_POST
    counts as English). DfE lists this rule in 2023-24 only."""
    return f"""
    SELECT 'episodes' AS tbl, row_no FROM episodes
    WHERE place = 'H5' AND (dec_d IS NULL OR dec_d >= DATE '2023-10-29')
      AND (urn IS NULL OR urn = '{_UNKNOWN_URN}') AND NOT {_OUTSIDE_ENGLAND}
    """


@rule("231", tables=("header", "uasc"), ruleset="lac2024_25")
def _r231() -> str:
    """Header of a UASC child (in the UASC table) under 11 on 31 March (11th birthday
    after it; header DOB). A query for the authority to confirm, not necessarily an
    error."""
    return """
    SELECT 'header' AS tbl, h.row_no FROM header h, collection c
    WHERE h.child IN (SELECT child FROM uasc)
      AND h.dob_d + INTERVAL 11 YEAR > c.collection_end
    """


@rule("232", tables=("header",), ruleset="lac2024_25")
def _r232() -> str:
    """Header with SEX U (unknown; upper or lower case)."""
    return "SELECT 'header' AS tbl, row_no FROM header WHERE upper(sex) = 'U'"


@rule("233", tables=("episodes",), ruleset="lac2025_26")
def _r233() -> str:
    """Episode with no DEC (open) and REASON_PLACE_CHANGE present: the reason belongs to
    an episode that ended. A DEC present but not a date counts as ended (rule 147)."""
    return """
    SELECT 'episodes' AS tbl, row_no FROM episodes
    WHERE dec IS NULL AND reason_place_change IS NOT NULL
    """


@rule("234", tables=("episodes", "header"), ruleset="lac2025_26")
def _r234() -> str:
    """Episode with REASON_PLACE_CHANGE CUSTOD (admitted to custody) where the change
    happened before the child's 10th birthday (header DOB): the change date is the DECOM
    of the child's next episode, or this episode's DEC when there is none. DfE compares
    the new episode's DECOM with DOB + 10 years for the previous episode's reason; the
    open validator compares the CUSTOD episode's own DECOM, which flags a child who was
    9 when that placement began but 10 when it ended. An open CUSTOD episode with no
    later episode has no change date and passes here (rule 233 flags a reason on an
    open episode). The episode and the header are flagged."""
    return """
    WITH changes AS (
        SELECT row_no, child, reason_place_change,
               coalesce(lead(decom_d) OVER (PARTITION BY child
                                            ORDER BY decom_d NULLS LAST, row_no), dec_d) AS moved
        FROM episodes WHERE child IS NOT NULL
    ), bad AS (
        SELECT c.row_no AS e_row, h.row_no AS h_row FROM changes c JOIN header h
        ON h.child = c.child
        WHERE c.reason_place_change = 'CUSTOD' AND c.moved < h.dob_d + INTERVAL 10 YEAR
    )
    SELECT 'episodes' AS tbl, e_row AS row_no FROM bad
    UNION ALL
    SELECT 'header' AS tbl, h_row AS row_no FROM bad
    """
