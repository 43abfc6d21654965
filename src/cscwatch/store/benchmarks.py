"""The ``benchmark`` table: every authority × indicator × year against its comparators.

Precomputed at build time in one SQL statement so that a profile, an API call or a page
reads one indexed table instead of re-ranking every authority on every request. The
method (ranks, quartiles, statistical neighbours, funnel limits with overdispersion) is
documented in ``docs/methods/benchmarking.md`` and in
:mod:`cscwatch.indicators.benchmarking`, which reads this table.
"""

from __future__ import annotations

import duckdb

from cscwatch.indicators.authorities import SMALL_AUTHORITIES
from cscwatch.indicators.benchmarking import Z95, Z998
from cscwatch.indicators.catalogue import CATALOGUE, Indicator, Unit
from cscwatch.store.warehouse import BuildContext

__all__ = ["funnel_kind", "load_benchmarks"]
_SMALL = ", ".join(f"'{c}'" for c in sorted(SMALL_AUTHORITIES))


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


def _columns(n_ranked: str, provisional: str, reference_year: str) -> str:
    """The select list of ``benchmark`` over aliases ``l e r sn rk st m`` (both statements)."""
    return f"""SELECT l.indicator, l.la_code, l.year, l.value, l.status, l.method, l.denominator,
       l.small, e.value AS england, r.value AS region,
       sn.sn_mean, sn.sn_median, coalesce(sn.sn_n, 0) AS sn_n,
       rk.rank, {n_ranked} AS n_ranked, st.q1, st.q2, st.q3,
       CASE WHEN rk.rank IS NULL THEN NULL
            WHEN l.value <= st.q1 THEN 1 WHEN l.value <= st.q2 THEN 2
            WHEN l.value <= st.q3 THEN 3 ELSE 4 END AS quartile,
       m.kind AS funnel_kind, m.centre AS funnel_centre, m.tau2,
       greatest(0, m.centre - {Z95} * m.sd) AS lower95,
       least(m.cap, m.centre + {Z95} * m.sd) AS upper95,
       greatest(0, m.centre - {Z998} * m.sd) AS lower998,
       least(m.cap, m.centre + {Z998} * m.sd) AS upper998,
       greatest(0, m.centre - {Z998} * m.sd_od) AS lower998_od,
       least(m.cap, m.centre + {Z998} * m.sd_od) AS upper998_od,
       CASE WHEN m.centre IS NULL OR l.value IS NULL THEN NULL
            WHEN l.value > least(m.cap, m.centre + {Z998} * m.sd) THEN 'above'
            WHEN l.value < greatest(0, m.centre - {Z998} * m.sd) THEN 'below'
            ELSE 'within' END AS funnel_flag,
       CASE WHEN m.centre IS NULL OR l.value IS NULL THEN NULL
            WHEN l.value > least(m.cap, m.centre + {Z998} * m.sd_od) THEN 'above'
            WHEN l.value < greatest(0, m.centre - {Z998} * m.sd_od) THEN 'below'
            ELSE 'within' END AS funnel_flag_od,
       coalesce(m.expected < 10, false) AS approximate,
       {provisional} AS provisional, {reference_year} AS reference_year
"""


_SQL = f"""
CREATE TABLE benchmark AS
WITH la AS (
    SELECT o.indicator, o.geo_code AS la_code, o.year, o.value, o.status, o.denominator,
           o.method, a.region_code, o.geo_code IN ({_SMALL}) AS small
    FROM observation o JOIN authority a ON a.la_code = o.geo_code
    WHERE o.geo_level = 'la'{{published_only}}
), ok AS (SELECT * FROM la WHERE value IS NOT NULL AND NOT small),
stats AS (
    SELECT indicator, year, count(*) AS n_ranked,
           quantile_cont(value, 0.25) AS q1, quantile_cont(value, 0.5) AS q2,
           quantile_cont(value, 0.75) AS q3
    FROM ok GROUP BY indicator, year
), ranked AS (
    SELECT indicator, year, la_code,
           rank() OVER (PARTITION BY indicator, year ORDER BY value DESC) AS rank
    FROM ok
), eng AS (
    SELECT indicator, year, value FROM observation WHERE geo_level = 'national'
), reg AS (
    SELECT indicator, year, geo_code, value FROM observation WHERE geo_level = 'regional'
), nb AS (
    SELECT s.la_code, s.neighbour FROM statistical_neighbour s
    WHERE s.model = (SELECT max(t.model) FROM statistical_neighbour t WHERE t.la_code = s.la_code)
), sn AS (
    SELECT l.indicator, l.year, l.la_code, avg(n.value) AS sn_mean,
           median(n.value) AS sn_median, count(n.value) AS sn_n
    FROM la l JOIN nb ON nb.la_code = l.la_code
    JOIN la n ON n.la_code = nb.neighbour AND n.indicator = l.indicator AND n.year = l.year
    GROUP BY l.indicator, l.year, l.la_code
), fv AS (
    -- Sampling variance at England's value for each authority's own denominator.
    SELECT l.indicator, l.year, l.la_code, l.value, l.small, e.value AS centre, fk.kind,
           CASE fk.kind
             WHEN 'percent' THEN (e.value / 100) * (1 - e.value / 100) / l.denominator * 10000
             ELSE e.value * 10000 / l.denominator
           END AS var,
           CASE fk.kind WHEN 'percent' THEN e.value / 100 * l.denominator
                ELSE e.value * l.denominator / 10000 END AS expected
    FROM la l JOIN _funnel_kind fk ON fk.indicator = l.indicator
    JOIN eng e ON e.indicator = l.indicator AND e.year = l.year
    WHERE l.denominator > 0 AND e.value IS NOT NULL
), fz AS (
    SELECT *, (value - centre) / sqrt(var) AS z FROM fv
    WHERE var > 0 AND value IS NOT NULL AND NOT small
), zb AS (
    SELECT indicator, year, quantile_disc(z, 0.1) AS lo, quantile_disc(z, 0.9) AS hi,
           count(*) AS k, sum(1 / var) AS sw, sum(1 / (var * var)) AS sw2
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
), lim AS (
    SELECT fv.indicator, fv.year, fv.la_code, fv.centre, fv.kind, fv.expected, t.tau2,
           sqrt(fv.var) AS sd, sqrt(fv.var + t.tau2) AS sd_od,
           CASE fv.kind WHEN 'percent' THEN 100.0 ELSE 'Infinity'::DOUBLE END AS cap
    FROM fv JOIN tau t ON t.indicator = fv.indicator AND t.year = fv.year
)
{_columns("st.n_ranked", "false", "l.year")}FROM la l
LEFT JOIN eng e ON e.indicator = l.indicator AND e.year = l.year
LEFT JOIN reg r ON r.indicator = l.indicator AND r.year = l.year AND r.geo_code = l.region_code
LEFT JOIN sn ON sn.indicator = l.indicator AND sn.year = l.year AND sn.la_code = l.la_code
LEFT JOIN ranked rk ON rk.indicator = l.indicator AND rk.year = l.year AND rk.la_code = l.la_code
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
           1 + count(*) FILTER (WHERE b.value > l.value AND b.la_code <> l.la_code) AS rank,
           1 + count(*) FILTER (WHERE b.la_code <> l.la_code) AS n_ranked
    FROM la l JOIN benchmark b ON b.indicator = l.indicator AND b.year = l.ref_year
         AND b.rank IS NOT NULL
    WHERE l.value IS NOT NULL AND NOT l.small
    GROUP BY l.indicator, l.year, l.la_code
), fv AS (
    SELECT l.indicator, l.year, l.la_code, e.value AS centre, fk.kind, st.tau2,
           CASE fk.kind
             WHEN 'percent' THEN (e.value / 100) * (1 - e.value / 100) / l.denominator * 10000
             ELSE e.value * 10000 / l.denominator
           END AS var,
           CASE fk.kind WHEN 'percent' THEN e.value / 100 * l.denominator
                ELSE e.value * l.denominator / 10000 END AS expected
    FROM la l JOIN _funnel_kind fk ON fk.indicator = l.indicator
    JOIN eng e ON e.indicator = l.indicator AND e.year = l.ref_year
    JOIN st ON st.indicator = l.indicator AND st.year = l.ref_year
    WHERE l.denominator > 0 AND e.value IS NOT NULL AND st.tau2 IS NOT NULL
), m AS (
    SELECT *, sqrt(var) AS sd, sqrt(var + tau2) AS sd_od,
           CASE kind WHEN 'percent' THEN 100.0 ELSE 'Infinity'::DOUBLE END AS cap
    FROM fv
)
{_columns("coalesce(rk.n_ranked, st.n_ranked)", "true", "l.ref_year")}
FROM la l
LEFT JOIN eng e ON e.indicator = l.indicator AND e.year = l.ref_year
LEFT JOIN reg r ON r.indicator = l.indicator AND r.year = l.ref_year
     AND r.geo_code = l.region_code
LEFT JOIN sn ON sn.indicator = l.indicator AND sn.year = l.year AND sn.la_code = l.la_code
LEFT JOIN rk ON rk.indicator = l.indicator AND rk.year = l.year AND rk.la_code = l.la_code
LEFT JOIN st ON st.indicator = l.indicator AND st.year = l.ref_year
LEFT JOIN m ON m.indicator = l.indicator AND m.year = l.year AND m.la_code = l.la_code
"""


def load_benchmarks(con: duckdb.DuckDBPyConnection, ctx: BuildContext) -> None:
    """Fill ``benchmark`` from ``observation``, ``authority`` and ``statistical_neighbour``."""
    kinds = [(i.id, k) for i in CATALOGUE.values() if (k := funnel_kind(i)) is not None]
    con.execute("CREATE TEMP TABLE _funnel_kind (indicator VARCHAR, kind VARCHAR)")
    con.executemany("INSERT INTO _funnel_kind VALUES (?, ?)", kinds)
    # One thread: floating-point sums then add up in one order, so a rebuild gives
    # bit-identical content (the table is small; this costs little).
    con.execute("SET threads TO 1")
    try:
        # Without provisional folders every row is published: the statement is then
        # the same as before provisional rows existed (and needs no such column).
        only = " AND NOT o.provisional" if ctx.provisional_dirs else ""
        con.execute(_SQL.replace("{published_only}", only))
        if ctx.provisional_dirs:
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
