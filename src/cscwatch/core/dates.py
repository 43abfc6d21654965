"""Date arithmetic shared by the layers above.

Whole years are added the way DfE's validation rules count them (pandas' ``DateOffset``,
DuckDB's ``INTERVAL``): 29 February becomes 28 February in a year without one.
"""

from __future__ import annotations

from datetime import date

__all__ = ["add_years"]


def add_years(day: date, years: int) -> date:
    """``day`` moved by ``years`` whole years (back when negative); 29 February lands on
    28 February in a year without one."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)
