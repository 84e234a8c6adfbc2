"""The ``risk:`` section: the ten risk rules and how their calls to action are prioritised.

Every rule kind is a field of ``RiskRules`` with its own parameters and defaults, so a
workspace changes one threshold by writing just that key
(``risk.rules.usage_drop.drop: 0.4``) and a typo in a parameter is an error that names
it. Each rule also carries what every rule has: whether it is enabled, its severity,
the tiers it applies to, the playbook steps of the call to action it opens and how
many days the owner has to act. What each parameter means, and the reason a rule
gives when it fires, are in docs/risk.md.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from csmetrics.schema.tables import ADVOCACY_TYPES, TICKET_PRIORITIES

Severity = Literal["high", "medium", "low"]
SEVERITIES: tuple[Severity, ...] = ("high", "medium", "low")
Band = Literal["red", "yellow", "green"]

Share = Annotated[float, Field(gt=0, lt=1)]
Days = Annotated[int, Field(ge=1, le=3650)]
Count = Annotated[int, Field(ge=1)]
NonEmpty = Annotated[tuple[str, ...], Field(min_length=1)]


def _allowed(value: tuple[str, ...], allowed: tuple[str, ...], what: str) -> tuple[str, ...]:
    unknown = [v for v in value if v not in allowed]
    if unknown:
        raise ValueError(f"unknown {what} {unknown[0]!r}; expected one of {', '.join(allowed)}")
    return value


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RuleConfig(_Model):
    """What every rule has; the subclasses add their parameters and their own defaults."""

    enabled: bool = True
    severity: Severity = "medium"
    # Only accounts of these tiers (accounts.tier); empty = every tier.
    tiers: tuple[str, ...] = ()
    # The call to action is due this many days after it opens (earlier when a renewal is near).
    due_in_days: Annotated[int, Field(ge=0, le=365)] = 14
    playbook: tuple[str, ...] = ()

    @field_validator("playbook")
    @classmethod
    def _steps(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        steps = tuple(step.strip() for step in value)
        if any(not step for step in steps):
            raise ValueError("a playbook step cannot be empty")
        return steps


class UsageDropRule(RuleConfig):
    severity: Severity = "high"
    # Fires when MAU (the last month) is at least this share below the trailing average.
    drop: Share = 0.40
    # Months before the last one that make the trailing average.
    baseline_months: Annotated[int, Field(ge=1, le=12)] = 3
    # Accounts whose trailing average MAU is below this are too small to judge.
    min_baseline_mau: Annotated[float, Field(ge=0)] = 5.0
    due_in_days: Annotated[int, Field(ge=0, le=365)] = 14
    playbook: tuple[str, ...] = (
        "Review adoption with the champion",
        "Schedule a training session for the teams that stopped",
        "Check support for product or integration problems behind the drop",
    )


class KeyFeatureRule(RuleConfig):
    severity: Severity = "low"
    # Fires when fewer than this share of the month's active users used a key feature.
    min_share: Share = 0.10
    # Days after the first paid contract starts before the rule applies (onboarding).
    grace_days: Annotated[int, Field(ge=0, le=3650)] = 90
    due_in_days: Annotated[int, Field(ge=0, le=365)] = 30
    playbook: tuple[str, ...] = (
        "Walk the admin through the key features in a working session",
        "Add a key-feature adoption goal to the success plan",
    )


class TicketsRule(RuleConfig):
    severity: Severity = "medium"
    window_days: Days = 30
    # Fires when at least this many tickets were opened in the window.
    min_tickets: Count = 3
    # Only tickets of these priorities count; empty = every priority.
    priorities: tuple[str, ...] = ()
    due_in_days: Annotated[int, Field(ge=0, le=365)] = 7
    playbook: tuple[str, ...] = (
        "Review the open tickets with the support lead",
        "Call the customer to acknowledge the problems and agree next steps",
    )

    @field_validator("priorities")
    @classmethod
    def _known_priorities(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _allowed(value, TICKET_PRIORITIES, "ticket priority")


class SilenceRule(RuleConfig):
    severity: Severity = "low"
    # Fires when no ticket was opened in this many days by a customer of at least as long.
    window_days: Days = 365
    due_in_days: Annotated[int, Field(ge=0, le=365)] = 30
    playbook: tuple[str, ...] = (
        "Check in with the customer's admin",
        "Confirm the product is still in use and who uses it",
    )


class SurveyRule(RuleConfig):
    severity: Severity = "high"
    window_days: Days = 180
    # Fires when the mean answer in the window is at or below (NPS, CSAT) or at or above
    # (CES) the limit; an empty limit leaves that survey out.
    nps_at_most: Annotated[float, Field(ge=0, le=10)] | None = 6.0
    csat_at_most: Annotated[float, Field(ge=1, le=5)] | None = 2.0
    ces_at_least: Annotated[float, Field(ge=1, le=7)] | None = None
    due_in_days: Annotated[int, Field(ge=0, le=365)] = 7
    playbook: tuple[str, ...] = (
        "Call the respondents to understand their scores",
        "Agree a recovery plan and share it with the customer",
    )


class BouncesRule(RuleConfig):
    severity: Severity = "medium"
    window_days: Days = 90
    # Fires when at least this many contacts bounced or unsubscribed in the window...
    min_contacts: Count = 3
    # ...and they are at least this share of the account's users at the window's start.
    min_share: Annotated[float, Field(ge=0, lt=1)] = 0.10
    due_in_days: Annotated[int, Field(ge=0, le=365)] = 14
    playbook: tuple[str, ...] = (
        "Find out who left the customer and update the contacts",
        "Re-introduce yourself to the remaining stakeholders",
    )


class ReferencesRule(RuleConfig):
    severity: Severity = "low"
    # Fires when the account had advocacy actions in the lookback before the window
    # and none in the window (the last window_days).
    window_days: Days = 180
    lookback_days: Days = 365
    # Advocacy actions needed in the lookback for the silence to mean something.
    min_actions: Count = 2
    types: NonEmpty = ("reference", "case_study", "success_story", "testimonial", "speaking")
    due_in_days: Annotated[int, Field(ge=0, le=365)] = 30
    playbook: tuple[str, ...] = (
        "Ask the champion whether anything changed in how they see us",
        "Offer a new advocacy opportunity (webinar, case study update)",
    )

    @field_validator("types")
    @classmethod
    def _known_types(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _allowed(value, ADVOCACY_TYPES, "advocacy type")


class InvoicesRule(RuleConfig):
    severity: Severity = "high"
    # An unpaid invoice is overdue when its due day is more than this many days past.
    days_overdue: Annotated[int, Field(ge=0, le=3650)] = 30
    # Fires when at least this many invoices are overdue.
    min_invoices: Count = 1
    due_in_days: Annotated[int, Field(ge=0, le=365)] = 7
    playbook: tuple[str, ...] = (
        "Confirm the invoice reached the right contact",
        "Bring in finance to agree a payment date",
    )


class RenewalHealthRule(RuleConfig):
    severity: Severity = "high"
    # Fires when a contract's term ends within this many days and the health band is one of bands.
    within_days: Days = 90
    bands: Annotated[tuple[Band, ...], Field(min_length=1)] = ("red",)
    # Health model whose stored scores are read; empty = the default model.
    health_model: str | None = None
    due_in_days: Annotated[int, Field(ge=0, le=365)] = 7
    playbook: tuple[str, ...] = (
        "Build a save plan with the account team",
        "Escalate to the CS manager",
        "Hold an executive business review before the renewal",
    )


class ChampionRule(RuleConfig):
    severity: Severity = "high"
    # Fires when no user with one of these roles is active and the last one left
    # within lookback_days.
    roles: NonEmpty = ("champion",)
    lookback_days: Days = 180
    due_in_days: Annotated[int, Field(ge=0, le=365)] = 14
    playbook: tuple[str, ...] = (
        "Identify and meet a new champion",
        "Re-run the value story for the new stakeholder",
    )


class RiskRules(_Model):
    """The ten rules, one per kind; the field name is the rule's name in reasons and CTAs."""

    usage_drop: UsageDropRule = Field(default_factory=UsageDropRule)
    low_key_feature_use: KeyFeatureRule = Field(default_factory=KeyFeatureRule)
    too_many_tickets: TicketsRule = Field(default_factory=TicketsRule)
    no_support_contact: SilenceRule = Field(default_factory=SilenceRule)
    low_survey_score: SurveyRule = Field(default_factory=SurveyRule)
    bounces_unsubscribes: BouncesRule = Field(default_factory=BouncesRule)
    references_stopped: ReferencesRule = Field(default_factory=ReferencesRule)
    overdue_invoices: InvoicesRule = Field(default_factory=InvoicesRule)
    renewal_red_health: RenewalHealthRule = Field(default_factory=RenewalHealthRule)
    champion_left: ChampionRule = Field(default_factory=ChampionRule)

    def items(self) -> list[tuple[str, RuleConfig]]:
        """(name, rule) in declaration order."""
        return [(name, getattr(self, name)) for name in type(self).model_fields]


RULE_NAMES: tuple[str, ...] = tuple(RiskRules.model_fields)


class PriorityConfig(_Model):
    """Priority points: severity + ARR + nearness of the renewal (formula in docs/risk.md)."""

    severity_points: dict[Severity, Annotated[int, Field(ge=0, le=10)]] = Field(
        default_factory=lambda: {"high": 2, "medium": 1, "low": 0}
    )
    arr_high: Annotated[float, Field(ge=0)] = 100_000.0
    arr_medium: Annotated[float, Field(ge=0)] = 25_000.0
    renewal_soon_days: Days = 90
    renewal_near_days: Days = 180
    urgent_at: Annotated[int, Field(ge=1)] = 5
    high_at: Annotated[int, Field(ge=1)] = 3
    medium_at: Annotated[int, Field(ge=1)] = 1

    @field_validator("severity_points")
    @classmethod
    def _every_severity(cls, value: dict[str, int]) -> dict[str, int]:
        missing = [s for s in SEVERITIES if s not in value]
        if missing:
            raise ValueError(f"give points for every severity; missing {', '.join(missing)}")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> PriorityConfig:
        if self.arr_medium > self.arr_high:
            raise ValueError("arr_medium must not be above arr_high")
        if self.renewal_soon_days > self.renewal_near_days:
            raise ValueError("renewal_soon_days must not be above renewal_near_days")
        if not self.urgent_at > self.high_at > self.medium_at:
            raise ValueError("need urgent_at > high_at > medium_at")
        return self


class CtaConfig(_Model):
    # A call to action is due no later than this many days before the account's renewal.
    renewal_lead_days: Annotated[int, Field(ge=0, le=365)] = 14
    # After a CSM closes a call to action, the same rule opens no new one for the account
    # for this many days, even while the condition holds.
    reopen_after_days: Annotated[int, Field(ge=0, le=3650)] = 30
    priority: PriorityConfig = Field(default_factory=PriorityConfig)


class RiskConfig(_Model):
    """The whole ``risk:`` section."""

    rules: RiskRules = Field(default_factory=RiskRules)
    ctas: CtaConfig = Field(default_factory=CtaConfig)
