"""The ``benchmark`` table: every authority × indicator × year against its comparators.

Precomputed at build time in two SQL statements (the overdispersion, then the table)
so that a profile, an API call or a page reads one indexed table instead of
re-ranking every authority on every request. The
method (ranks with joint returns counted once, quartiles, statistical neighbours, the
default outlier flag against limits allowing for between-authority variation — log
scale for rates, percentage scale for percentages — and the plain chance flag beside
it, small-denominator marks) is documented in ``docs/methods/benchmarking.md`` and in
:mod:`cscwatch.indicators.benchmarking`, :mod:`cscwatch.indicators.variation` and
:mod:`cscwatch.indicators.series`, which read this table.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from cscwatch.core.catalogue import CATALOGUE, Indicator, Unit
from cscwatch.indicators.authorities import SMALL_AUTHORITIES
from cscwatch.indicators.flags import SMALL_DENOMINATOR
from cscwatch.indicators.variation import Z95, Z998
from cscwatch.store.warehouse import BuildContext

__all__ = ["FORMER_NUMBER_FIGURES", "FormerNumberFigures", "funnel_kind", "load_benchmarks"]
_SMALL = ", ".join(f"'{c}'" for c in sorted(SMALL_AUTHORITIES))


@dataclass(frozen=True)
class FormerNumberFigures:
    """Figures a publisher gives under a former authority's LA number for years after it
    ceased, established to be its successors' own: ``successors`` one authority (its
    figure under the old number) or several (their joint service's one figure, ranked
    once). ``evidence`` says how that was established."""

    predecessor: str
    indicators: tuple[str, ...]
    successors: tuple[str, ...]
    evidence: str


#: The rule (``docs/methods/benchmarking.md``): no figure is ranked, put in quartiles, in
#: the between-authority spread (τ², funnel limits) or in a neighbours' mean as an
#: authority that did not exist that year (its LA number in ``authority_succession``
#: as a predecessor, the year at or after the successors' first). Such a figure is
#: shown under the former authority, unranked (``method = 'ceased'``), and where it is
#: established below whose it is, also given to that successor or to the successors'
#: joint service (``method = 'former_number'``), which are ranked as theirs. Every other
#: one stays unranked under the former authority, saying why (docs/snapshot.md lists
#: them all: in the snapshot, these two).
FORMER_NUMBER_FIGURES: tuple[FormerNumberFigures, ...] = (
    FormerNumberFigures(
        "928",
        ("foster_places", "foster_places_filled", "foster_places_filled_pct"),
        ("940", "941"),
        "LAIT's data dictionary (measure 341a): 'North Northamptonshire and West "
        "Northamptonshire submit a combined dataset under one URN as Northamptonshire "
        "Children's Trust'; LAIT gives '-' to 940 and 941 every year 2022-2025",
    ),
    FormerNumberFigures(
        "835",
        ("care_leavers_eet_pct", "care_leavers_neet_pct", "care_leavers_higher_education_pct"),
        ("838",),
        "LAIT 2019-20: 835's counts over the new Dorset's (838) care leavers, not its own: "
        "89 in education, employment or training and 11 in higher education of 838's "
        "184 care leavers aged 19-21 give 48% and 6% (of 835's 205 in 2018-19: 43%); "
        "838 has '-' for these three and BCP (839) its own (59%, 29%, 4% of 166)",
    ),
)


def _ceased_sql(ceased: list[tuple[str, int]]) -> str:
    """``o.year`` is at or after the year ``o.geo_code``'s successors began (a former
    authority's number, after it ceased): inline, so that the statements' scans and
    sums stay in the order they had without it."""
    if not ceased:
        return "false"
    whens = " ".join(f"WHEN '{c}' THEN o.year >= {y}" for c, y in ceased)
    return f"coalesce(CASE o.geo_code {whens} END, false)"


def funnel_kind(ind: Indicator) -> str | None:
    """``percent`` (binomial) or ``per_10k`` (Poisson) where funnel limits apply."""
    d = ind.derivation
    if d.kind not in ("ratio", "rate") or d.scale != 1.0:
        return None
    if ind.unit is Unit.PERCENT:
        return "percent"
    if ind.unit is Unit.PER_10K:
        return "per_10k"
    return None


def _limit_columns() -> str:
    """Limits over a CTE with ``kind, centre, var, svar, tau2, cap`` (both statements).

    ``var`` is the sampling variance on the figure's scale (chance limits); ``svar`` the
    sampling variance on the scale of the default model (the figure's for percentages,
    its logarithm for rates per 10,000) to which the between-authority ``tau2`` adds.
    """
    out = []
    for z, tag in ((Z95, "95"), (Z998, "998")):
        out.append(f"greatest(0, centre - {z} * sqrt(var)) AS lower{tag}")
        out.append(f"least(cap, centre + {z} * sqrt(var)) AS upper{tag}")
        out.append(
            f"CASE kind WHEN 'percent' THEN greatest(0, centre - {z} * sqrt(svar + tau2)) "
            f"ELSE centre * exp(-{z} * sqrt(svar + tau2)) END AS lower{tag}_od"
        )
        out.append(
            f"CASE kind WHEN 'percent' THEN least(cap, centre + {z} * sqrt(svar + tau2)) "
            f"ELSE centre * exp({z} * sqrt(svar + tau2)) END AS upper{tag}_od"
        )
    return ", ".join(out)


def _flag_sql(value: str, lower: str, upper: str, *, zero_rate: bool = False) -> str:
    """``higher``/``lower``/``within`` against the limits. ``zero_rate``: a rate of zero,
    which has no logarithm, is lower than expected only where chance alone makes no
    event implausible (Poisson: exp(-expected) < 0.1%, over 6.9 expected) and half an
    event (0.5 x 10,000 / n, the usual continuity correction) is still below the lower
    limit. Compared as 0 it lay below every log-scale lower limit (never 0), so every
    zero was "lower than expected", even where fewer than one event was expected (the
    Isles of Scilly's children ceasing care in 2019-20: 0 where England's rate gives
    0.8, which chance alone gives 46% of the time)."""
    zero = ""
    if zero_rate:
        zero = (
            f"WHEN m.kind = 'per_10k' AND {value} = 0 THEN CASE WHEN m.expected > ln(1000) "
            f"AND 5000.0 / l.denominator < m.{lower} THEN 'lower' ELSE 'within' END "
        )
    return (
        f"CASE WHEN m.centre IS NULL OR {value} IS NULL THEN NULL {zero}"
        f"WHEN {value} > m.{upper} THEN 'higher' WHEN {value} < m.{lower} THEN 'lower' "
        "ELSE 'within' END"
    )


def _columns(
    n_ranked: str, provisional: str, reference_year: str, joint: str = "jt.joint_with"
) -> str:
    """The select list of ``benchmark`` over aliases ``l e r sn rk st m jt`` (both
    statements)."""
    return f"""SELECT l.indicator, l.la_code, l.year, l.value, l.status, l.method, l.denominator,
       l.small, e.value AS england, r.value AS region,
       sn.sn_mean, sn.sn_median, coalesce(sn.sn_n, 0) AS sn_n,
       rk.rank, {n_ranked} AS n_ranked, st.q1, st.q2, st.q3,
       CASE WHEN rk.rank IS NULL THEN NULL
            WHEN l.value <= st.q1 THEN 1 WHEN l.value <= st.q2 THEN 2
            WHEN l.value <= st.q3 THEN 3 ELSE 4 END AS quartile,
       m.kind AS funnel_kind, m.centre AS funnel_centre,
       CASE m.kind WHEN 'per_10k' THEN 'log' WHEN 'percent' THEN 'identity' END AS flag_scale,
       m.tau2, m.lower95, m.upper95, m.lower998, m.upper998,
       m.lower95_od, m.upper95_od, m.lower998_od, m.upper998_od,
       {_flag_sql("l.value", "lower998_od", "upper998_od", zero_rate=True)} AS flag,
       {_flag_sql("l.value", "lower998", "upper998")} AS chance_flag,
       coalesce(m.expected < 10, false) AS approximate,
       l.small OR coalesce(fk.kind = 'percent' AND l.denominator < {SMALL_DENOMINATOR}, false)
           AS small_denominator,
       {joint} AS joint_with,
       {provisional} AS provisional, {reference_year} AS reference_year
"""


#: Sampling variance at England's value for each authority's own denominator: ``var``
#: on the figure's scale, ``svar`` on the default model's (log for rates: 1 / expected
#: count by the delta method), ``dev`` the deviation on that scale (NULL for a zero
#: rate, which has no logarithm; such a figure is still flagged against the limits).
_VARIANCE = """
           CASE fk.kind
             WHEN 'percent' THEN (e.value / 100) * (1 - e.value / 100) / l.denominator * 10000
             ELSE e.value * 10000 / l.denominator
           END AS var,
           CASE fk.kind
             WHEN 'percent' THEN (e.value / 100) * (1 - e.value / 100) / l.denominator * 10000
             ELSE 10000 / (e.value * l.denominator)
           END AS svar,
           CASE fk.kind WHEN 'percent' THEN l.value - e.value
                WHEN 'per_10k' THEN CASE WHEN l.value > 0 THEN ln(l.value / e.value) END
           END AS dev,
           CASE fk.kind WHEN 'percent' THEN e.value / 100 * l.denominator
                ELSE e.value * l.denominator / 10000 END AS expected"""

#: Joint returns: two authorities publishing one return (``method = 'shared'``, e.g.
#: "940 / 941" in the workforce file). The partners are the other shared rows of the
#: same indicator, year, region and value (each pair is in a different region);
#: ``svc`` names the service by its lowest LA number, so it is ranked once.
_JOINT = """
jt AS (
    SELECT l.indicator, l.year, l.la_code,
           string_agg(p.la_code, ',' ORDER BY p.la_code) AS joint_with,
           least(l.la_code, min(p.la_code)) AS svc
    FROM la l JOIN la p ON p.indicator = l.indicator AND p.year = l.year
         AND p.la_code <> l.la_code AND p.method = l.method
         AND p.region_code IS NOT DISTINCT FROM l.region_code
         AND p.value IS NOT DISTINCT FROM l.value
    WHERE l.method IN ('shared', 'former_number')
    GROUP BY l.indicator, l.year, l.la_code
)"""


#: Each authority's statistical neighbours' values, mean, median and count, over ``la``
#: and ``nb`` (the latest model, with ranks). Set-based without joining every row to its
#: ten neighbours (1.5 million rows to group): each indicator and year's values become
#: one list with the authorities in a fixed order (``pos``), and each authority picks its
#: neighbours' values out of it by position, in rank order. The mean adds them up in
#: that order (the neighbours' ranks), so it does not depend on how a join streams.
_NEIGHBOUR_VALUES = """
pos AS (
    SELECT la_code, row_number() OVER (ORDER BY la_code) AS i
    FROM (SELECT DISTINCT la_code FROM la)
), grid AS (
    SELECT iy.indicator, iy.year, list(l.value ORDER BY p.i) AS vals
    FROM (SELECT DISTINCT indicator, year FROM la) iy CROSS JOIN pos p
    LEFT JOIN la l ON l.indicator = iy.indicator AND l.year = iy.year AND l.la_code = p.la_code
         AND NOT l.ceased
    GROUP BY iy.indicator, iy.year
), nbl AS (
    SELECT nb.la_code, list(p.i ORDER BY nb.rank) AS at
    FROM nb JOIN pos p ON p.la_code = nb.neighbour GROUP BY nb.la_code
), sn AS (
    SELECT indicator, year, la_code, list_avg(v) AS sn_mean, list_median(v) AS sn_median,
           list_count(v) AS sn_n
    FROM (SELECT l.indicator, l.year, l.la_code, list_select(g.vals, n.at) AS v
          FROM la l JOIN nbl n ON n.la_code = l.la_code
          JOIN grid g ON g.indicator = l.indicator AND g.year = l.year)
)"""

#: The rows ranked and benchmarked (``la``), one per service (``ok``), England's values
#: (``eng``) and the funnel variances (``fv``): shared by both statements below.
_LA = f"""
la0 AS (
    SELECT o.indicator, o.geo_code AS la_code, o.year, o.value, o.status, o.denominator,
           CASE WHEN {{ceased}} AND o.value IS NOT NULL THEN 'ceased' ELSE o.method END
               AS method,
           a.region_code, o.geo_code IN ({_SMALL}) AS small, {{ceased}} AS ceased
    FROM observation o JOIN authority a ON a.la_code = o.geo_code
    WHERE o.geo_level = 'la'{{published_only}}
), given AS (
    -- A former authority's figure for a year after it ceased, given to the successor(s)
    -- it belongs to (FORMER_NUMBER_FIGURES) where they have no figure of their own.
    SELECT s.indicator, s.la_code, s.year, p.value, NULL::VARCHAR AS status, p.denominator,
           'former_number' AS method, s.region_code, s.small, false AS ceased,
           p.la_code AS former
    FROM la0 p JOIN _former_figure f ON f.predecessor = p.la_code AND f.indicator = p.indicator
    JOIN la0 s ON s.la_code = f.successor AND s.indicator = p.indicator AND s.year = p.year
    WHERE p.ceased AND p.value IS NOT NULL AND s.value IS NULL
), la AS (
    SELECT * FROM la0 WHERE NOT EXISTS (
        SELECT 1 FROM given g WHERE g.indicator = la0.indicator AND g.year = la0.year
            AND g.la_code = la0.la_code)
    UNION ALL SELECT * EXCLUDE (former) FROM given
)"""
#: The τ² statement's rows: the same, without the union of the figures given to
#: successors where none is of an indicator with funnel limits (none in the snapshot):
#: the union changes the order the sums add up in, so every limit's last bits.
_LA_TAU_PLAIN = _LA[: _LA.index(", given AS")].replace("la0 AS", "la AS", 1)
_LA_TAU = "{la_tau}"
_OK = """
ok AS (
    -- One row per service: a joint return counts once (under its lowest LA number).
    SELECT la.* FROM la LEFT JOIN jt USING (indicator, year, la_code)
    WHERE la.value IS NOT NULL AND NOT la.small AND NOT la.ceased
      AND coalesce(jt.svc, la.la_code) = la.la_code{restated}
)"""
#: ... and an area once (the ranks, quartiles and ``n_ranked``): a successor's figure for a
#: year before it existed (``authority_succession.year`` is its first) that its
#: predecessors also have figures for (the publisher's restatement on the new
#: boundaries, e.g. LAIT's under-18 conceptions for Dorset and BCP in 2016 and 2017) is
#: shown but not ranked. Not applied to the tau² statement: no indicator with funnel limits
#: has such a year in the snapshot (scripts/audit_benchmarking.py checks), and the filter
#: would change the order its sums add up in, so every limit's last bits.
_RESTATED = """
      AND la.la_code NOT IN (
          SELECT s.successor FROM authority_succession s JOIN la p
              ON p.la_code = s.predecessor AND p.indicator = la.indicator
             AND p.year = la.year AND p.value IS NOT NULL
          WHERE la.year < s.year)"""
_OK_TAU = _OK.replace("{restated}", "")
_OK_RANKED = _OK.replace("{restated}", _RESTATED)
_ENG = """
eng AS (
    SELECT indicator, year, value FROM observation WHERE geo_level = 'national'
)"""
_FV = f"""
fv AS (
    SELECT l.indicator, l.year, l.la_code, l.value, l.small, e.value AS centre, fk.kind,
           {_VARIANCE}
    FROM la l JOIN _funnel_kind fk ON fk.indicator = l.indicator
    JOIN eng e ON e.indicator = l.indicator AND e.year = l.year
    WHERE l.denominator > 0 AND e.value > 0 AND NOT l.ceased
)"""

#: The between-authority variance of each indicator and year (DerSimonian-Laird, from
#: winsorised z-scores). Computed first, in its own statement on one thread: its sums
#: then add up in one order, so a rebuild gives bit-identical limits, while the main
#: statement (whose every step is order-independent) runs on all threads.
_TAU_SQL = f"""
CREATE TEMP TABLE _benchmark_tau AS
WITH {_LA_TAU}, {_JOINT}, {_OK_TAU}, {_ENG}, {_FV}, fz AS (
    SELECT fv.*, dev / sqrt(svar) AS z FROM fv
    WHERE svar > 0 AND dev IS NOT NULL AND NOT small
      AND la_code IN (SELECT la_code FROM ok WHERE ok.indicator = fv.indicator
                      AND ok.year = fv.year)
), zb AS (
    SELECT indicator, year, quantile_disc(z, 0.1) AS lo, quantile_disc(z, 0.9) AS hi,
           count(*) AS k, sum(1 / svar) AS sw, sum(1 / (svar * svar)) AS sw2
    FROM fz GROUP BY indicator, year
), phi AS (
    SELECT f.indicator, f.year, avg(power(least(greatest(f.z, b.lo), b.hi), 2)) AS phi
    FROM fz f JOIN zb b ON b.indicator = f.indicator AND b.year = f.year
    GROUP BY f.indicator, f.year
), tau AS (
    -- DerSimonian-Laird additive overdispersion from winsorised z-scores.
    SELECT b.indicator, b.year,
           CASE WHEN b.k >= 10 AND b.k * p.phi > b.k - 1
                THEN (b.k * p.phi - (b.k - 1)) / (b.sw - b.sw2 / b.sw) ELSE 0 END AS tau2
    FROM zb b JOIN phi p ON p.indicator = b.indicator AND p.year = b.year
)
SELECT indicator, year, tau2 FROM tau
"""

_SQL = f"""
CREATE TABLE benchmark AS
WITH {_LA}, {_JOINT}, {_OK_RANKED}, stats AS (
    SELECT indicator, year, count(*) AS n_ranked,
           quantile_cont(value, 0.25) AS q1, quantile_cont(value, 0.5) AS q2,
           quantile_cont(value, 0.75) AS q3
    FROM ok GROUP BY indicator, year
), ranked AS (
    SELECT indicator, year, la_code AS svc,
           rank() OVER (PARTITION BY indicator, year ORDER BY value DESC) AS rank
    FROM ok
), {_ENG}, reg AS (
    SELECT indicator, year, geo_code, value FROM observation WHERE geo_level = 'regional'
), nb AS (
    SELECT s.la_code, s.neighbour, s.rank FROM statistical_neighbour s
    WHERE s.model = (SELECT max(t.model) FROM statistical_neighbour t WHERE t.la_code = s.la_code)
), {_NEIGHBOUR_VALUES}, {_FV},
tau AS (SELECT indicator, year, tau2 FROM _benchmark_tau), lim AS (
    SELECT *, {_limit_columns()} FROM (
        SELECT fv.indicator, fv.year, fv.la_code, fv.centre, fv.kind, fv.expected, fv.var,
               fv.svar, t.tau2,
               CASE fv.kind WHEN 'percent' THEN 100.0 ELSE 'Infinity'::DOUBLE END AS cap
        FROM fv JOIN tau t ON t.indicator = fv.indicator AND t.year = fv.year)
), gw AS (
    -- a former authority's figure: the successors it is given to
    SELECT indicator, year, former AS la_code, string_agg(la_code, ',' ORDER BY la_code)
               AS joint_with
    FROM given GROUP BY indicator, year, former
)
{_columns("st.n_ranked", "false", "l.year", "coalesce(jt.joint_with, gw.joint_with)")}FROM la l
LEFT JOIN jt ON jt.indicator = l.indicator AND jt.year = l.year AND jt.la_code = l.la_code
LEFT JOIN gw ON gw.indicator = l.indicator AND gw.year = l.year AND gw.la_code = l.la_code
LEFT JOIN _funnel_kind fk ON fk.indicator = l.indicator
LEFT JOIN eng e ON e.indicator = l.indicator AND e.year = l.year
LEFT JOIN reg r ON r.indicator = l.indicator AND r.year = l.year AND r.geo_code = l.region_code
LEFT JOIN sn ON sn.indicator = l.indicator AND sn.year = l.year AND sn.la_code = l.la_code
LEFT JOIN ranked rk ON rk.indicator = l.indicator AND rk.year = l.year
     AND rk.svc = coalesce(jt.svc, l.la_code) AND l.value IS NOT NULL AND NOT l.small
LEFT JOIN stats st ON st.indicator = l.indicator AND st.year = l.year
LEFT JOIN lim m ON m.indicator = l.indicator AND m.year = l.year AND m.la_code = l.la_code
ORDER BY l.la_code, l.indicator, l.year
"""

#: Provisional rows (an authority's own return) against the published benchmarks of
#: their reference year: their own year if the publisher has ranked it, else the latest
#: ranked year before it. Reads the published rows of ``benchmark`` and never changes
#: them: a provisional value is placed among the other authorities' published values
#: (rank = 1 + those above it, out of them and itself), its quartile uses the published
#: quartiles, and its funnel limits England's value and overdispersion, all of the
#: reference year.
_PROVISIONAL_SQL = f"""
CREATE TEMP TABLE _benchmark_provisional AS
WITH p AS (
    SELECT o.indicator, o.geo_code AS la_code, o.year, o.value, o.status, o.denominator,
           o.method, a.region_code, o.geo_code IN ({_SMALL}) AS small
    FROM observation o JOIN authority a ON a.la_code = o.geo_code
    WHERE o.geo_level = 'la' AND o.provisional
), st AS (
    SELECT indicator, year, max(n_ranked) AS n_ranked, max(q1) AS q1, max(q2) AS q2,
           max(q3) AS q3, max(tau2) AS tau2
    FROM benchmark WHERE rank IS NOT NULL GROUP BY indicator, year
), la AS (
    SELECT p.*, (SELECT max(s.year) FROM st s
                 WHERE s.indicator = p.indicator AND s.year <= p.year) AS ref_year
    FROM p
), eng AS (
    SELECT indicator, year, value FROM observation
    WHERE geo_level = 'national' AND NOT provisional
), reg AS (
    SELECT indicator, year, geo_code, value FROM observation
    WHERE geo_level = 'regional' AND NOT provisional
), nb AS (
    SELECT s.la_code, s.neighbour FROM statistical_neighbour s
    WHERE s.model = (SELECT max(t.model) FROM statistical_neighbour t WHERE t.la_code = s.la_code)
), sn AS (
    SELECT l.indicator, l.year, l.la_code, avg(n.value) AS sn_mean,
           median(n.value) AS sn_median, count(n.value) AS sn_n
    FROM la l JOIN nb ON nb.la_code = l.la_code
    JOIN benchmark n ON n.la_code = nb.neighbour AND n.indicator = l.indicator
         AND n.year = l.ref_year
    GROUP BY l.indicator, l.year, l.la_code
), rk AS (
    SELECT l.indicator, l.year, l.la_code,
           1 + count(*) FILTER (WHERE b.value > l.value AND b.la_code <> l.la_code
                                AND (b.joint_with IS NULL OR b.la_code < b.joint_with))
               AS rank,
           1 + count(*) FILTER (WHERE b.la_code <> l.la_code
                                AND (b.joint_with IS NULL OR b.la_code < b.joint_with))
               AS n_ranked
    FROM la l JOIN benchmark b ON b.indicator = l.indicator AND b.year = l.ref_year
         AND b.rank IS NOT NULL
    WHERE l.value IS NOT NULL AND NOT l.small
    GROUP BY l.indicator, l.year, l.la_code
), fv AS (
    SELECT l.indicator, l.year, l.la_code, e.value AS centre, fk.kind, st.tau2,
           {_VARIANCE}
    FROM la l JOIN _funnel_kind fk ON fk.indicator = l.indicator
    JOIN eng e ON e.indicator = l.indicator AND e.year = l.ref_year
    JOIN st ON st.indicator = l.indicator AND st.year = l.ref_year
    WHERE l.denominator > 0 AND e.value > 0 AND st.tau2 IS NOT NULL
), m AS (
    SELECT *, {_limit_columns()} FROM (
        SELECT *, CASE kind WHEN 'percent' THEN 100.0 ELSE 'Infinity'::DOUBLE END AS cap
        FROM fv)
), jt AS (SELECT NULL::VARCHAR AS joint_with)
{_columns("coalesce(rk.n_ranked, st.n_ranked)", "true", "l.ref_year")}
FROM la l
LEFT JOIN eng e ON e.indicator = l.indicator AND e.year = l.ref_year
LEFT JOIN reg r ON r.indicator = l.indicator AND r.year = l.ref_year
     AND r.geo_code = l.region_code
LEFT JOIN sn ON sn.indicator = l.indicator AND sn.year = l.year AND sn.la_code = l.la_code
LEFT JOIN rk ON rk.indicator = l.indicator AND rk.year = l.year AND rk.la_code = l.la_code
LEFT JOIN st ON st.indicator = l.indicator AND st.year = l.ref_year
LEFT JOIN _funnel_kind fk ON fk.indicator = l.indicator
LEFT JOIN m ON m.indicator = l.indicator AND m.year = l.year AND m.la_code = l.la_code
CROSS JOIN jt
"""


def load_benchmarks(con: duckdb.DuckDBPyConnection, ctx: BuildContext) -> None:
    """Fill ``benchmark`` from ``observation``, ``authority`` and ``statistical_neighbour``."""
    kinds = [(i.id, k) for i in CATALOGUE.values() if (k := funnel_kind(i)) is not None]
    con.execute("CREATE TEMP TABLE _funnel_kind (indicator VARCHAR, kind VARCHAR)")
    con.executemany("INSERT INTO _funnel_kind VALUES (?, ?)", kinds)
    # Without provisional folders every row is published: the statements are then
    # the same as before provisional rows existed (and need no such column).
    only = " AND NOT o.provisional" if ctx.provisional_dirs else ""
    # A warehouse without successions (a test's synthetic one) has no restatements and
    # no former authorities.
    succ = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'authority_succession'"
    ).fetchone()
    has_succ = bool(succ and succ[0])
    ceased: list[tuple[str, int]] = []
    if has_succ:
        rows = con.execute(
            "SELECT predecessor, min(year) FROM authority_succession GROUP BY 1 ORDER BY 1"
        ).fetchall()
        ceased = [(str(p), int(y)) for p, y in rows]
    con.execute(
        "CREATE TEMP TABLE _former_figure (predecessor VARCHAR, indicator VARCHAR, "
        "successor VARCHAR)"
    )
    given = [
        (f.predecessor, i, s)
        for f in FORMER_NUMBER_FIGURES
        for i in f.indicators
        for s in f.successors
    ]
    con.executemany("INSERT INTO _former_figure VALUES (?, ?, ?)", given)

    funnel_given = any(i in dict(kinds) for _, i, _ in given)

    def fill(sql: str) -> str:
        sql = sql.replace("{la_tau}", _LA if funnel_given else _LA_TAU_PLAIN)
        return sql.replace("{published_only}", only).replace("{ceased}", _ceased_sql(ceased))

    # One thread where floating-point sums are taken (the overdispersion, the
    # provisional rows' neighbour means): they then add up in one order, so a rebuild
    # gives bit-identical content. The main statement has no such sum.
    con.execute("SET threads TO 1")
    try:
        con.execute(fill(_TAU_SQL))
    finally:
        con.execute("SET threads TO 2")
    con.execute(fill(_SQL if has_succ else _SQL.replace(_RESTATED, "")))
    con.execute("DROP TABLE _benchmark_tau")
    con.execute("DROP TABLE _former_figure")
    if ctx.provisional_dirs:
        con.execute("SET threads TO 1")
        try:
            _add_provisional(con)
        finally:
            con.execute("SET threads TO 2")
    n = con.execute("SELECT count(*) FROM benchmark").fetchone()
    ctx.row_counts["benchmark"] = int(n[0]) if n else 0


def _add_provisional(con: duckdb.DuckDBPyConnection) -> None:
    """Add the provisional rows to ``benchmark``, which stays sorted."""
    con.execute(_PROVISIONAL_SQL)
    con.execute("ALTER TABLE benchmark RENAME TO _benchmark_published")
    con.execute(
        "CREATE TABLE benchmark AS SELECT * FROM (SELECT * FROM _benchmark_published "
        "UNION ALL SELECT * FROM _benchmark_provisional) ORDER BY la_code, indicator, year"
    )
    con.execute("DROP TABLE _benchmark_published")
    con.execute("DROP TABLE _benchmark_provisional")
