"""Ground truth the tables do not show: CSM skill, account latent health and renewal odds.

Written beside the canonical files (``truth/``) for tests and for checking later that
scorecards and health scores recover what was put in. Never imported by csmetrics.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from csmetrics.demo.history import History
from csmetrics.demo.output import write
from csmetrics.demo.vocab import TIERS
from csmetrics.schema.tables import BILLING_TERMS


def _dates(days: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(days, dtype=np.int32), type=pa.int32()).cast(pa.date32())


def write_truth(hist: History, folder: Path) -> dict[str, str]:
    staff, accts, p, tl = hist.staff, hist.accts, hist.panels, hist.tl
    ids = np.array(accts.ids, dtype=object)
    staff_ids = np.array(staff.ids, dtype=object)
    tables: dict[str, pa.Table] = {}
    tables["csm_skill"] = pa.table(
        {
            "csm_id": staff_ids,
            "role": np.array(["csm", "manager", "leader"], dtype=object)[staff.role],
            "skill": staff.skill,
            "forecast_noise": staff.forecast_noise,
        }
    )
    tables["accounts"] = pa.table(
        {
            "account_id": ids,
            "tier": np.array(TIERS, dtype=object)[accts.tier],
            "product_fit": accts.fit,
            "payment_risk": accts.finance,
            "usage_habit": accts.habit,
            "churned": hist.status == 2,
        }
    )
    acc, month = np.nonzero(p.active)
    tables["account_months"] = pa.table(
        {
            "account_id": ids[acc],
            "month": _dates(tl.month_start(month)),
            "health": p.h[acc, month],
            "usage_ratio": p.usage[acc, month],
            "key_feature_share": p.key[acc, month],
            "licenses": p.licenses[acc, month],
            "tickets": p.tickets[acc, month],
            "champion": p.champion[acc, month],
            "csm_id": staff_ids[p.owner[acc, month]],
        }
    )
    r = hist.books.renewals.columns()
    tables["renewals"] = pa.table(
        {
            "account_id": ids[r["acc"]],
            "renewal_date": _dates(r["day"]),
            "billing_term": np.array(BILLING_TERMS, dtype=object)[r["term"]],
            "churn_probability": 1 / (1 + np.exp(-r["z"])),
            "contraction_probability": r["p_contract"],
            "churned": r["churned"],
            "contracted": r["contracted"],
            "expanded": r["expanded"],
            "arr_before_usd": np.round(r["arr_before_usd"], 2),
            "arr_after_usd": np.round(r["arr_after_usd"], 2),
            "csm_id": staff_ids[r["owner"]],
        }
    )
    out = {}
    for name, table in tables.items():
        path = write(table, folder / f"{name}.parquet")
        out[name] = str(path.relative_to(folder.parent))
    return out
