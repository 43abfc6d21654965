"""Working days for the CIN census rules (weekdays that are not England and Wales bank
holidays).

The calendar itself lives in :mod:`cscwatch.core.bank_holidays`, the one place both
validation and measures read it; this module names it for the rules.
"""

from __future__ import annotations

from cscwatch.core.bank_holidays import bank_holidays, is_working_day, working_days_before

__all__ = ["bank_holidays", "is_working_day", "working_days_before"]
