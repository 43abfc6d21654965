"""Statistical models over the warehouse: ``Model(data, ...).fit()`` → read-only results.

Submodules (imported on demand, so that importing the package stays cheap):

* :mod:`~cscwatch.models.features` — features built only from data published before a
  date (the declared publication lags);
* :mod:`~cscwatch.models.risk` — early warning of a poor inspection (Inadequate,
  Requires improvement or worse, declined), with its nested rolling-origin backtest;
* :mod:`~cscwatch.models.risk_ranking` — the shipped early-warning ranking as at a date;
* :mod:`~cscwatch.models.risk_summary` — the written backtest in brief and a ranking's meta;
* :mod:`~cscwatch.models.quality` — spend and workforce against the Ofsted grade in force;
* :mod:`~cscwatch.models.demand` — drivers of demand: two-way fixed effects on need,
  variance decomposition, children's-centre spending event study;
* :mod:`~cscwatch.models.demand_nao` — new child protection plans set beside the NAO's
  2019 decomposition (its order, Shapley, and the range over orders);
* :mod:`~cscwatch.models.forecast` — per-authority forecasts with intervals calibrated
  on backtest errors, and their backtest against naive baselines;
* :mod:`~cscwatch.models.methods` — writes the methods pages, figures and JSON results.

Methods and backtest results: ``docs/methods/{risk,quality,demand,forecast}.md``.
"""

__all__ = [
    "demand",
    "demand_nao",
    "features",
    "forecast",
    "journeys",
    "methods",
    "quality",
    "risk",
    "risk_ranking",
    "risk_summary",
]
