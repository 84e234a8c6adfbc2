"""Generate the demo company: one Parquet file per canonical table, plus ground truth.

Same (seed, accounts, months, events_scale, end_date) -> byte-identical files: every
component draws from its own seeded stream, and files carry no wall-clock metadata.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from csmetrics import schema
from csmetrics.demo import commercial, contracts, engagement, ownership, success, support
from csmetrics.demo.company import build_accounts, build_staff
from csmetrics.demo.events import event_batches
from csmetrics.demo.fx import build_fx
from csmetrics.demo.output import ChunkedWriter, arrow_table, drop_duplicate_keys, write
from csmetrics.demo.simulate import simulate
from csmetrics.demo.timeline import Timeline, stream
from csmetrics.demo.truth import write_truth
from csmetrics.demo.users import build_users
from csmetrics.errors import CsMetricsError

Progress = Callable[[str, float], None]
MANIFEST = "manifest.json"
EVENT_ROWS_PER_FILE = 10_000_000
_EVENTS_SHARE = 0.8  # share of the progress bar given to events


class DemoParameterError(CsMetricsError):
    """A demo parameter is out of range."""


@dataclass(frozen=True)
class DemoManifest:
    """What was generated: parameters, files per table (relative to ``out_dir``), rows."""

    out_dir: Path
    seed: int
    accounts: int
    months: int
    events_scale: float
    start_date: date
    end_date: date
    files: dict[str, tuple[str, ...]] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    truth: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    def paths(self, table: str) -> list[Path]:
        return [self.out_dir / f for f in self.files.get(table, ())]

    def to_json(self) -> str:
        """The manifest file (no timing, so it is as reproducible as the data)."""
        data: dict[str, Any] = asdict(self)
        data.pop("out_dir")
        data.pop("seconds")
        data["start_date"] = self.start_date.isoformat()
        data["end_date"] = self.end_date.isoformat()
        data["files"] = {k: list(v) for k, v in self.files.items()}
        return json.dumps(data, indent=2) + "\n"


def check_parameters(accounts: int, months: int, events_scale: float, end_date: date) -> None:
    """Raise DemoParameterError for a parameter out of range (before anything is written)."""
    if accounts < 20:
        raise DemoParameterError(f"accounts must be at least 20, got {accounts}")
    if not 6 <= months <= 120:
        raise DemoParameterError(f"months must be between 6 and 120, got {months}")
    if not 0 < events_scale <= 1000:
        raise DemoParameterError(
            f"events scale must be above 0 and at most 1000, got {events_scale}"
        )
    if end_date.day != 1:
        raise DemoParameterError(f"end date must be the first day of a month, got {end_date}")


def default_end_date() -> date:
    """The first day of the current month: history runs up to the month in progress."""
    return date.today().replace(day=1)


def generate(
    out_dir: Path,
    *,
    accounts: int = 2000,
    seed: int = 7,
    months: int = 36,
    events_scale: float = 1.0,
    end_date: date | None = None,
    progress: Progress | None = None,
) -> DemoManifest:
    """Write the demo company into ``out_dir``: ``<table>.parquet`` for each canonical
    table, ``events/part-NNNN.parquet``, ``truth/*.parquet`` and ``manifest.json``."""
    began = time.perf_counter()
    end = end_date or default_end_date()
    check_parameters(accounts, months, events_scale, end)
    report = progress or (lambda stage, fraction: None)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _clear(out_dir)

    report("company", 0.0)
    tl = Timeline.ending(end, months)
    fx = build_fx(tl, stream(seed, "fx"))
    staff = build_staff(accounts, tl, stream(seed, "staff"))
    accts = build_accounts(accounts, tl, fx, stream(seed, "accounts"))
    report("history", 0.03)
    hist = simulate(tl, staff, accts, fx, stream(seed, "simulate"))
    users = build_users(hist, stream(seed, "users"))

    report("tables", 0.08)
    ticket_rows = support.tickets(hist, stream(seed, "tickets"))
    sends, responses = support.surveys(hist, users, ticket_rows, stream(seed, "surveys"))
    ob_rows = success.onboardings(hist, stream(seed, "onboardings"))
    columns: dict[str, Callable[[], dict[str, Any]]] = {
        "accounts": lambda: ownership.accounts_columns(hist),
        "csms": lambda: ownership.csms_columns(hist),
        "assignments": lambda: ownership.assignments_columns(hist),
        "contracts": lambda: contracts.contracts_columns(hist),
        "users": lambda: users.columns(np.array(accts.ids, dtype=object)),
        "tickets": lambda: ticket_rows,
        "survey_sends": lambda: sends,
        "survey_responses": lambda: responses,
        "advocacy": lambda: success.advocacy(hist, stream(seed, "advocacy")),
        "onboardings": lambda: ob_rows,
        "invoices": lambda: contracts.invoices_columns(hist),
        "activities": lambda: success.activities(hist, ob_rows, stream(seed, "activities")),
        "engagements": lambda: engagement.engagements(hist, users, seed),
        "success_plans": lambda: success.success_plans(hist, ob_rows, stream(seed, "plans")),
        "opportunities": lambda: commercial.opportunities(hist, stream(seed, "opportunities")),
        "renewal_forecasts": lambda: commercial.renewal_forecasts(hist, stream(seed, "forecasts")),
        "fx_rates": fx.columns,
        "costs": lambda: commercial.costs(hist, stream(seed, "costs")),
        "targets": lambda: commercial.targets(hist),
    }
    files: dict[str, tuple[str, ...]] = {}
    rows: dict[str, int] = {}
    small = [t.name for t in schema.TABLES if not t.large]
    for i, name in enumerate(small):
        cols = {k: v for k, v in columns[name]().items() if not k.startswith("_")}
        table = arrow_table(name, drop_duplicate_keys(name, cols))
        path = write(table, out_dir / f"{name}.parquet")
        files[name] = (path.name,)
        rows[name] = table.num_rows
        report(name, 0.08 + 0.1 * (i + 1) / len(small))

    writer = ChunkedWriter(out_dir / "events", "events", EVENT_ROWS_PER_FILE)
    base = 0.18
    for month, table in event_batches(hist, users, events_scale, seed):
        writer.write(table)
        report("events", base + _EVENTS_SHARE * (month + 1) / months)
    writer.close()
    files["events"] = tuple(str(p.relative_to(out_dir)) for p in writer.paths)
    rows["events"] = writer.rows

    truth = write_truth(hist, out_dir / "truth")
    manifest = DemoManifest(
        out_dir=out_dir,
        seed=seed,
        accounts=accounts,
        months=months,
        events_scale=events_scale,
        start_date=tl.start,
        end_date=tl.end,
        files={t.name: files[t.name] for t in schema.TABLES},
        rows={t.name: rows[t.name] for t in schema.TABLES},
        truth=truth,
        seconds=time.perf_counter() - began,
    )
    (out_dir / MANIFEST).write_text(manifest.to_json(), "utf-8")
    report("done", 1.0)
    return manifest


def _clear(out_dir: Path) -> None:
    """Remove what an earlier run wrote here (and nothing else)."""
    for t in schema.TABLES:
        (out_dir / f"{t.name}.parquet").unlink(missing_ok=True)
    for folder in (out_dir / "events", out_dir / "truth"):
        if folder.is_dir():
            for part in folder.glob("*.parquet"):
                part.unlink()
    (out_dir / MANIFEST).unlink(missing_ok=True)
