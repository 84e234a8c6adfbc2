"""Renewal forecasts: CSMs' calls on each renewal of a quarter against the model and the outcome.

``renewals.quarter_renewals`` lists the renewals of a quarter with forecast, model
and actual; ``accuracy.accuracy`` scores each CSM (Brier score, logo retention
forecast vs actual).
"""

from __future__ import annotations

from csmetrics.forecasting.accuracy import accuracy, brier
from csmetrics.forecasting.renewals import QuarterRenewals, quarter_renewals

__all__ = ["QuarterRenewals", "accuracy", "brier", "quarter_renewals"]
