"""SSDA903: the child-level looked-after children return every authority sends DfE.

Layout (one room per concern, as for :mod:`cscwatch.childlevel.cin`):

- :mod:`.tables`: the twelve tables of the return, their fields and date fields, and the
  names DfE's rule catalogue uses for them.
- :mod:`.engine`: stages a return (and optionally the previous year's) as DuckDB tables
  and runs the validation rules on them as set operations.
- :mod:`.rules`: one SQL ``SELECT`` per DfE rule, registered by collection year, with the
  DfE rule catalogue for each year as package data.
- :mod:`.measures`: the looked-after measures DfE publishes, from a staged return, in the
  tidy layouts of :mod:`cscwatch.indicators.cla_layouts`: their definitions and entry
  points; :mod:`.measure_queries` their SQL, :mod:`.measure_results` the results object
  and its disclosure-controlled tidy files.
- :mod:`.store` and :mod:`.journeys`: several years' returns side by side, and care
  journeys across them as Kaplan–Meier curves.
"""
