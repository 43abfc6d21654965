"""Rules 100-199: the header (sex, birth, ethnicity, UPN) and basic episode fields."""

from __future__ import annotations

from cscwatch.childlevel.ssda903.rules.base import rule
from cscwatch.childlevel.ssda903.rules.codes import sql_list

__all__: list[str] = []

_ETHNICITIES = (
    "WBRI", "WIRI", "WOTH", "WIRT", "WROM", "MWBC", "MWBA", "MWAS", "MOTH", "AIND", "APKN",
    "ABAN", "AOTH", "BCRB", "BAFR", "BOTH", "CHNE", "OOTH", "REFU", "NOBT",
)  # fmt: skip


@rule("103", tables=("header",))
def _r103() -> str:
    """ETHNIC absent or not one of DfE's 20 ethnicity codes (compared exactly: DfE's
    codes are upper case, so ``wbri`` fails)."""
    return f"""
    SELECT 'header' AS tbl, row_no FROM header
    WHERE ethnic IS NULL OR ethnic NOT IN {sql_list(_ETHNICITIES)}
    """
