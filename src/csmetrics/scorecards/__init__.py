"""CSM scorecards: targets, maturity presets, fair comparison of retention.

``card.build`` makes a scorecard, ``targets.resolve`` lists targets with their source,
``fair.compare`` sets each CSM's achieved retention against what their book on day
one predicted (``expected`` holds the model, reused by renewal forecasts).
"""

from __future__ import annotations

from csmetrics.scorecards.card import Scorecard, Subject, build
from csmetrics.scorecards.intervals import wilson, z_value
from csmetrics.scorecards.presets import Preset, resolve_preset
from csmetrics.scorecards.targets import targets_for

__all__ = [
    "Preset",
    "Scorecard",
    "Subject",
    "build",
    "resolve_preset",
    "targets_for",
    "wilson",
    "z_value",
]
