"""The filters every page takes: period, team, tier, segment and CSM (query parameters)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Query

FILTER_KEYS = ("period", "team", "tier", "segment", "csm")


@dataclass(frozen=True)
class Filters:
    """What the user narrowed the page to; None = no narrowing (period: the page's default)."""

    period: str | None = None
    team: str | None = None
    tier: str | None = None
    segment: str | None = None
    csm: str | None = None

    def query(self, **changes: str | None) -> str:
        """The query string of these filters with ``changes`` applied (for links)."""
        values = {k: v for k, v in asdict(replace(self, **changes)).items() if v}
        return urlencode(values)

    @property
    def narrowed(self) -> bool:
        """True when a filter other than the period is set."""
        return any((self.team, self.tier, self.segment, self.csm))


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def filters(
    period: Annotated[
        str | None, Query(description="A month 2026-07, quarter 2026-Q3 or year 2026.")
    ] = None,
    team: Annotated[str | None, Query(description="Only accounts owned by this team.")] = None,
    tier: Annotated[str | None, Query(description="Only accounts of this tier.")] = None,
    segment: Annotated[str | None, Query(description="Only accounts of this segment.")] = None,
    csm: Annotated[str | None, Query(description="Only accounts owned by this csm_id.")] = None,
) -> Filters:
    return Filters(_clean(period), _clean(team), _clean(tier), _clean(segment), _clean(csm))
