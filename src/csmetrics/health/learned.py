"""The learned alternative: a calibrated churn probability from the model's own measures.

Features, per renewal: each measure's points on the scoring day (0-100, scaled to
0-1), a missing flag per measure that had no points in some training example (its
points are then the training mean), and, as configured, the account's tier and the
renewal's billing term (one-hot; a category unseen in training is all zeros).
Everything the model learns (means, categories, coefficients, calibration) comes from
the training examples only.

* The probability is a logistic regression calibrated by cross-validation
  (``CalibratedClassifierCV``, isotonic or sigmoid, 5 folds).
* The **suggested weights** come from the same logistic regression fitted on all the
  training examples: the coefficient of a measure's points is how much one point
  lowers the log-odds of churn. Negative coefficients (more points, more churn) are
  set to 0 and the rest scaled to sum to 100, so they read like the hand model's
  weights (its score is linear in the points too).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression


@dataclass(frozen=True)
class Design:
    """How training examples were turned into features, replayed on any other examples."""

    measures: tuple[str, ...]
    means: dict[str, float]
    flagged: tuple[str, ...]
    categories: dict[str, tuple[str, ...]]

    @classmethod
    def fit(cls, points: pd.DataFrame, context: pd.DataFrame) -> Design:
        measures = tuple(points.columns)
        means = {m: float(points[m].mean()) if points[m].notna().any() else 0.0 for m in measures}
        flagged = tuple(m for m in measures if points[m].isna().any())
        categories = {c: tuple(sorted(context[c].dropna().astype(str).unique())) for c in context}
        return cls(measures, means, flagged, categories)

    def matrix(self, points: pd.DataFrame, context: pd.DataFrame) -> np.ndarray:
        columns = [points[m].fillna(self.means[m]).to_numpy() / 100.0 for m in self.measures]
        columns += [points[m].isna().to_numpy(dtype="float64") for m in self.flagged]
        for name, values in self.categories.items():
            column = context[name].astype(str).to_numpy()
            columns += [(column == v).astype("float64") for v in values]
        return np.column_stack(columns) if columns else np.empty((len(points), 0))

    def names(self) -> list[str]:
        names = list(self.measures) + [f"{m} missing" for m in self.flagged]
        for name, values in self.categories.items():
            names += [f"{name}={v}" for v in values]
        return names


@dataclass(frozen=True)
class Learned:
    design: Design
    calibrated: CalibratedClassifierCV
    coefficients: dict[str, float]

    def churn_probability(self, points: pd.DataFrame, context: pd.DataFrame) -> np.ndarray:
        x = self.design.matrix(points[list(self.design.measures)], context)
        return self.calibrated.predict_proba(x)[:, 1]

    def suggested_weights(self) -> dict[str, float]:
        """Per measure: -coefficient clipped at 0, scaled to sum to 100 (see module doc)."""
        lift = {m: max(0.0, -self.coefficients[m]) for m in self.design.measures}
        total = sum(lift.values())
        if total <= 0:
            return dict.fromkeys(self.design.measures, 0.0)
        return {m: 100.0 * v / total for m, v in lift.items()}


def fit(points: pd.DataFrame, context: pd.DataFrame, churned: np.ndarray, method: str) -> Learned:
    """Fit on training examples: ``points`` one column per measure, ``context`` tier/term."""
    design = Design.fit(points, context)
    x = design.matrix(points, context)
    y = np.asarray(churned, dtype=int)
    base = LogisticRegression(C=1.0, max_iter=2000)
    folds = int(min(5, max(2, min(np.bincount(y, minlength=2)))))
    calibrated = CalibratedClassifierCV(base, method=method, cv=folds).fit(x, y)
    whole = LogisticRegression(C=1.0, max_iter=2000).fit(x, y)
    coefficients = dict(zip(design.names(), whole.coef_[0].tolist(), strict=True))
    return Learned(design, calibrated, coefficients)
