"""Store: the DuckDB warehouse of published data and the separate child-level store.

Each group of tables has its own module with its DDL and loader; child-level CIN
census tables live in :mod:`cscwatch.store.child_level` and never in the warehouse.
"""

from cscwatch.store.child_level import (
    CHILD_TABLES,
    TABLE_KEYS,
    child_level_ddl,
    connect_child_store,
    create_child_level_tables,
    delete_return,
    load_child_level,
)
from cscwatch.store.inspections import Inspection, load_inspections, read_inspections

__all__ = [
    "CHILD_TABLES",
    "TABLE_KEYS",
    "Inspection",
    "child_level_ddl",
    "connect_child_store",
    "create_child_level_tables",
    "delete_return",
    "load_child_level",
    "load_inspections",
    "read_inspections",
]
