"""Health scores as the risk rules read them: the stored table ``_health_scores``.

The health layer keeps one row per model, account and scoring day
(``model, account_id, as_of, score, band``). A rule judged on day d reads, for each
account, the latest row of the model with ``as_of <= d``. Without the table, or
without rows for the model, the rule that needs it is *not available*: it stays
silent and the evaluation summary says why, rather than treating every account as
healthy or unhealthy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from csmetrics.config import Config
    from csmetrics.engine import Engine
    from csmetrics.risk.context import RiskContext

HEALTH_TABLE = "_health_scores"


def stored_models(engine: Engine) -> list[str]:
    """The models with stored scores (empty when the table does not exist)."""
    if not engine.has_rows(HEALTH_TABLE):
        return []
    t = engine.table(HEALTH_TABLE)
    frame = engine.execute(t.select("model").distinct().order_by("model"))
    return [str(m) for m in frame["model"].tolist()]


def model_to_read(engine: Engine, config: Config, wanted: str | None) -> tuple[str | None, str]:
    """(model, note): the model whose scores to read (``health.default_model`` unless
    ``wanted``), or None and why its scores cannot be read."""
    model = wanted or config.health.default_model
    models = stored_models(engine)
    if not models:
        return None, f"no health scores are stored ({HEALTH_TABLE} is missing or empty)"
    if model not in models:
        return None, f"no health scores of model {model!r} are stored"
    return model, ""


def latest_scores(ctx: RiskContext, model: str) -> ir.Table:
    """as_of (evaluation day), account_id, score, band, scored_on: the latest score by d."""
    stored = ctx.table(HEALTH_TABLE)
    s = stored.filter(stored.model == model).select(
        _a="account_id", _on="as_of", _score="score", _band="band"
    )
    days = ctx.days_table()
    j = days.join(s, s._on <= days.as_of)
    per = j.group_by([j.as_of, j._a]).aggregate(
        scored_on=j._on.max(),
        score=j._score.argmax(j._on),
        band=j._band.argmax(j._on),
    )
    return per.select("as_of", account_id=per._a, score="score", band="band", scored_on="scored_on")
