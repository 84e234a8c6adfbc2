"""The canonical tables: the one declaration of every input table and column.

Everything else (importer, demo generator, ``csmetrics schema``, docs/data-model.md,
KPI definitions) reads these objects. Dates are calendar days; ``*_at`` columns are
timestamps unless noted. Intervals are half-open: a row with ``start_date``/``end_date``
is in force on day d when start_date <= d < end_date, and an empty end means open.
"""

from __future__ import annotations

from csmetrics.schema.model import (
    Column,
    ColumnType,
    ForeignKey,
    OrderCheck,
    RangeWhen,
    Table,
)

S, INT, F, M, D, T, B = (
    ColumnType.STRING,
    ColumnType.INTEGER,
    ColumnType.FLOAT,
    ColumnType.MONEY,
    ColumnType.DATE,
    ColumnType.TIMESTAMP,
    ColumnType.BOOLEAN,
)

ACCOUNT_FK = ForeignKey("accounts", "account_id")
CSM_FK = ForeignKey("csms", "csm_id")
USER_FK = ForeignKey("users", "user_id")

BILLING_TERMS = ("monthly", "annual", "multi_year")
SURVEY_KINDS = ("nps", "csat", "ces")
ADVOCACY_TYPES = (
    "g2_review",
    "case_study",
    "reference",
    "success_story",
    "testimonial",
    "speaking",
)
ACTIVITY_TYPES = ("ebr", "qbr", "meeting", "training", "documentation", "call")
ENGAGEMENT_CHANNELS = ("email", "community", "webinar")
ENGAGEMENT_ACTIONS = ("open", "click", "bounce", "unsubscribe", "post", "attend")
PLAN_STATUSES = ("on_track", "at_risk", "achieved", "missed")
OPPORTUNITY_TYPES = ("renewal", "upsell", "cross_sell")
FORECAST_OUTCOMES = ("renew", "churn", "downsell")
TICKET_PRIORITIES = ("low", "normal", "high", "urgent")
CSM_ROLES = ("csm", "manager", "leader")
COST_CATEGORIES = ("cs_retention", "cs_expansion", "cs_total", "acquisition")
TARGET_GRAINS = ("csm", "team", "company")


def _account_id(description: str = "The account this row belongs to.") -> Column:
    return Column("account_id", S, description, nullable=False, references=ACCOUNT_FK)


ACCOUNTS = Table(
    name="accounts",
    description="One row per customer account (the logo). The current owner is csm_id.",
    required=True,
    primary_key=("account_id",),
    time_column="created_at",
    columns=(
        Column(
            "account_id", S, "Stable identifier of the account.", nullable=False, example="A0001"
        ),
        Column("name", S, "Account (company) name.", nullable=False, example="Acme Corp"),
        Column(
            "tier",
            S,
            "Service tier, e.g. strategic (over $100k ARR), corp, low_touch.",
            nullable=False,
            example="strategic",
        ),
        Column(
            "segment", S, "Market segment, e.g. enterprise, mid_market, smb.", example="enterprise"
        ),
        Column("industry", S, "Industry of the customer.", example="software"),
        Column("region", S, "Sales region, e.g. NA, EMEA, APAC.", example="EMEA"),
        Column(
            "csm_id",
            S,
            "Current owner; history lives in assignments.",
            references=CSM_FK,
            example="C01",
        ),
        Column("created_at", D, "Day the account became a customer record.", nullable=False),
    ),
)

CSMS = Table(
    name="csms",
    description="Customer Success Managers and their managers; a team is led by manager_id.",
    required=True,
    primary_key=("csm_id",),
    time_column="start_date",
    columns=(
        Column("csm_id", S, "Stable identifier of the person.", nullable=False, example="C01"),
        Column("name", S, "Full name.", nullable=False),
        Column(
            "email", S, "Work email (also the web login of the person).", example="ana@example.com"
        ),
        Column("team", S, "Team name.", nullable=False, example="Enterprise East"),
        Column(
            "manager_id",
            S,
            "The person's manager (a csm_id); empty for the head of CS.",
            references=CSM_FK,
        ),
        Column(
            "role", S, "csm, manager or leader.", nullable=False, allowed=CSM_ROLES, example="csm"
        ),
        Column("start_date", D, "First day in the role.", nullable=False),
        Column("end_date", D, "Day after the last day in the role; empty while employed."),
    ),
    checks=(OrderCheck("start_date", "end_date", strict=True),),
)

ASSIGNMENTS = Table(
    name="assignments",
    description=(
        "Ownership history: who owned an account when. KPIs attribute a period to the "
        "owner on its first day; without this table the current owner is used."
    ),
    primary_key=("account_id", "valid_from"),
    time_column="valid_from",
    columns=(
        _account_id(),
        Column("csm_id", S, "Owner during the interval.", nullable=False, references=CSM_FK),
        Column("valid_from", D, "First day of ownership.", nullable=False),
        Column("valid_to", D, "Day ownership ended (exclusive); empty while current."),
    ),
    checks=(OrderCheck("valid_from", "valid_to", strict=True),),
)

CONTRACTS = Table(
    name="contracts",
    description=(
        "Subscriptions: one row per contract term. A renewal is a new row that starts "
        "the day the previous one ends. ARR is annualised recurring revenue in currency."
    ),
    required=True,
    primary_key=("contract_id",),
    time_column="start_date",
    columns=(
        Column("contract_id", S, "Stable identifier of the contract term.", nullable=False),
        _account_id(),
        Column(
            "product",
            S,
            "Product (SKU family) the contract is for.",
            nullable=False,
            example="router",
        ),
        Column("start_date", D, "First day in force.", nullable=False),
        Column(
            "end_date",
            D,
            "Day after the last paid day (exclusive); empty for an open (auto-renewing) term.",
        ),
        Column("arr", M, "Annual recurring revenue of the term.", nullable=False, minimum=0),
        Column("currency", S, "ISO 4217 code of arr.", nullable=False, example="USD"),
        Column("licenses", INT, "Seats purchased.", minimum=0, example="25"),
        Column(
            "billing_term",
            S,
            "monthly, annual or multi_year.",
            nullable=False,
            allowed=BILLING_TERMS,
        ),
        Column(
            "customer_team",
            S,
            "Customer team or business unit the contract serves (whitespace expansion).",
        ),
        Column(
            "cancelled_at",
            D,
            "Day the customer gave notice; used when churn is recognised at cancellation.",
        ),
    ),
    checks=(OrderCheck("start_date", "end_date", strict=True),),
)

USERS = Table(
    name="users",
    description="People at customer accounts who use the product.",
    primary_key=("user_id",),
    time_column="created_at",
    columns=(
        Column("user_id", S, "Stable identifier of the user.", nullable=False),
        _account_id(),
        Column("customer_team", S, "Team or unit inside the customer.", example="sales_emea"),
        Column(
            "role",
            S,
            "Role of the user, e.g. champion, admin, user, executive.",
            example="champion",
        ),
        Column("created_at", T, "When the user was provisioned.", nullable=False),
        Column("deactivated_at", T, "When the user left or was removed; empty while active."),
    ),
    checks=(OrderCheck("created_at", "deactivated_at"),),
)

EVENTS = Table(
    name="events",
    description=(
        "Product usage events: the large table. Which event types count as a significant "
        "action (MAU) is set in config."
    ),
    primary_key=("account_id", "user_id", "event_time", "event_type"),
    time_column="event_time",
    large=True,
    columns=(
        _account_id(),
        Column("user_id", S, "User who acted.", nullable=False),
        Column("event_time", T, "When the action happened.", nullable=False),
        Column("event_type", S, "What was done, e.g. sign_in, meeting_booked.", nullable=False),
    ),
)

TICKETS = Table(
    name="tickets",
    description="Support tickets.",
    primary_key=("ticket_id",),
    time_column="opened_at",
    columns=(
        Column("ticket_id", S, "Stable identifier of the ticket.", nullable=False),
        _account_id(),
        Column(
            "priority", S, "low, normal, high or urgent.", nullable=False, allowed=TICKET_PRIORITIES
        ),
        Column("opened_at", T, "When the ticket was opened.", nullable=False),
        Column("first_response_at", T, "First response from support; empty if never answered."),
        Column("resolved_at", T, "When it was resolved; empty while open."),
        Column("csat", INT, "Support CSAT given on the ticket, 1-5.", minimum=1, maximum=5),
        Column("escalated", B, "Escalated beyond normal support."),
    ),
    checks=(
        OrderCheck("opened_at", "first_response_at"),
        OrderCheck("opened_at", "resolved_at"),
    ),
)

SURVEY_SENDS = Table(
    name="survey_sends",
    description="Surveys sent (the denominator of response rates).",
    primary_key=("survey", "account_id", "user_id", "sent_at"),
    time_column="sent_at",
    columns=(
        Column("survey", S, "nps, csat or ces.", nullable=False, allowed=SURVEY_KINDS),
        _account_id(),
        Column("user_id", S, "Recipient.", nullable=False),
        Column("sent_at", T, "When it was sent.", nullable=False),
    ),
)

SURVEY_RESPONSES = Table(
    name="survey_responses",
    description="Survey answers: NPS 0-10, CSAT 1-5, CES 1-7.",
    primary_key=("survey", "account_id", "user_id", "responded_at"),
    time_column="responded_at",
    columns=(
        Column("survey", S, "nps, csat or ces.", nullable=False, allowed=SURVEY_KINDS),
        _account_id(),
        Column("user_id", S, "Respondent.", nullable=False),
        Column("responded_at", T, "When the answer came in.", nullable=False),
        Column(
            "score", INT, "The answer on the survey's scale.", nullable=False, minimum=0, maximum=10
        ),
        Column("comment", S, "Verbatim comment."),
    ),
    checks=(
        RangeWhen("score", "survey", "nps", 0, 10),
        RangeWhen("score", "survey", "csat", 1, 5),
        RangeWhen("score", "survey", "ces", 1, 7),
    ),
)

ADVOCACY = Table(
    name="advocacy",
    description="Public advocacy actions by customers.",
    primary_key=("account_id", "type", "occurred_at"),
    time_column="occurred_at",
    columns=(
        _account_id(),
        Column("type", S, "Kind of advocacy.", nullable=False, allowed=ADVOCACY_TYPES),
        Column("occurred_at", D, "Day it happened.", nullable=False),
        Column("confirmed_by_champion", B, "The customer's champion confirmed the story."),
        Column("positive", B, "The action is favourable (e.g. a 4-5 star G2 review)."),
    ),
)

ONBOARDINGS = Table(
    name="onboardings",
    description="Onboarding projects, from deal close to onboarding close, with the checklist.",
    primary_key=("onboarding_id",),
    time_column="deal_closed_at",
    columns=(
        Column("onboarding_id", S, "Stable identifier of the onboarding.", nullable=False),
        _account_id(),
        Column(
            "contract_id",
            S,
            "The contract being onboarded.",
            references=ForeignKey("contracts", "contract_id"),
        ),
        Column("deal_closed_at", D, "Day the deal closed (the clock starts).", nullable=False),
        Column("kickoff_at", D, "Kickoff meeting."),
        Column("go_live_at", D, "Day the customer went live (time to value)."),
        Column("closed_at", D, "Day the onboarding case was closed; empty while open."),
        Column(
            "understands_purchase", B, "Checklist: the customer understands what was purchased."
        ),
        Column("setup_assisted", B, "Checklist: setup was assisted."),
        Column("tested", B, "Checklist: the customer tested the product."),
        Column("team_trained", B, "Checklist: the team is trained and ready to go live."),
    ),
    checks=(
        OrderCheck("deal_closed_at", "kickoff_at"),
        OrderCheck("deal_closed_at", "go_live_at"),
        OrderCheck("deal_closed_at", "closed_at"),
    ),
)

INVOICES = Table(
    name="invoices",
    description="Invoices, for payment behaviour (overdue invoices are a risk signal).",
    primary_key=("invoice_id",),
    time_column="issued_at",
    columns=(
        Column("invoice_id", S, "Stable identifier of the invoice.", nullable=False),
        _account_id(),
        Column("issued_at", D, "Issue day.", nullable=False),
        Column("due_at", D, "Due day.", nullable=False),
        Column("paid_at", D, "Day paid; empty while unpaid."),
        Column("amount", M, "Invoice amount.", nullable=False, minimum=0),
        Column("currency", S, "ISO 4217 code of amount.", example="USD"),
    ),
    checks=(OrderCheck("issued_at", "due_at"),),
)

ACTIVITIES = Table(
    name="activities",
    description="CSM activities with accounts: EBRs, QBRs, meetings, trainings, documentation, calls.",
    primary_key=("activity_id",),
    time_column="occurred_at",
    columns=(
        Column("activity_id", S, "Stable identifier of the activity.", nullable=False),
        _account_id(),
        Column("csm_id", S, "Who held it.", references=CSM_FK),
        Column("type", S, "Kind of activity.", nullable=False, allowed=ACTIVITY_TYPES),
        Column("occurred_at", T, "When it happened.", nullable=False),
        Column("next_meeting_at", T, "The next meeting booked at the end of this one."),
        Column("feedback_score", INT, "Attendee feedback 1-5 (trainings).", minimum=1, maximum=5),
    ),
)

ENGAGEMENTS = Table(
    name="engagements",
    description="Marketing and community engagement by customer users.",
    primary_key=("account_id", "user_id", "channel", "action", "occurred_at"),
    time_column="occurred_at",
    columns=(
        _account_id(),
        Column("user_id", S, "The user who engaged.", nullable=False),
        Column(
            "channel",
            S,
            "email, community or webinar.",
            nullable=False,
            allowed=ENGAGEMENT_CHANNELS,
        ),
        Column("action", S, "What happened.", nullable=False, allowed=ENGAGEMENT_ACTIONS),
        Column("occurred_at", T, "When.", nullable=False),
    ),
)

SUCCESS_PLANS = Table(
    name="success_plans",
    description="Joint success-plan goals agreed at kickoff and reviewed at EBRs.",
    primary_key=("account_id", "goal"),
    time_column="defined_at",
    columns=(
        _account_id(),
        Column("goal", S, "The goal in the customer's words.", nullable=False),
        Column("defined_at", D, "Day the goal was agreed.", nullable=False),
        Column("target_date", D, "Day it should be achieved by."),
        Column(
            "status",
            S,
            "on_track, at_risk, achieved or missed.",
            nullable=False,
            allowed=PLAN_STATUSES,
        ),
        Column("achieved_at", D, "Day it was achieved."),
        Column("confirmed_by_customer", B, "The customer confirmed the outcome."),
    ),
    checks=(OrderCheck("defined_at", "achieved_at"),),
)

OPPORTUNITIES = Table(
    name="opportunities",
    description="Renewal, upsell and cross-sell opportunities from the CRM.",
    primary_key=("opportunity_id",),
    time_column="close_date",
    columns=(
        Column("opportunity_id", S, "Stable identifier of the opportunity.", nullable=False),
        _account_id(),
        Column(
            "type", S, "renewal, upsell or cross_sell.", nullable=False, allowed=OPPORTUNITY_TYPES
        ),
        Column("amount", M, "ARR at stake.", nullable=False, minimum=0),
        Column("close_date", D, "Expected or actual close day.", nullable=False),
        Column("won", B, "True won, false lost, empty while open."),
    ),
)

RENEWAL_FORECASTS = Table(
    name="renewal_forecasts",
    description="CSMs' forecasts of each renewal in a quarter; the latest submission counts.",
    primary_key=("account_id", "quarter", "submitted_at"),
    time_column="submitted_at",
    columns=(
        _account_id(),
        Column("csm_id", S, "Who forecast.", nullable=False, references=CSM_FK),
        Column(
            "quarter", S, "Quarter of the renewal, e.g. 2026-Q3.", nullable=False, example="2026-Q3"
        ),
        Column(
            "outcome", S, "renew, churn or downsell.", nullable=False, allowed=FORECAST_OUTCOMES
        ),
        Column(
            "probability",
            F,
            "Probability of the outcome, 0-1.",
            nullable=False,
            minimum=0,
            maximum=1,
        ),
        Column("submitted_at", T, "When it was submitted.", nullable=False),
    ),
)

FX_RATES = Table(
    name="fx_rates",
    description=(
        "Exchange rates: 1 unit of currency = rate units of the reporting currency, "
        "in force from rate_date until the next rate."
    ),
    primary_key=("currency", "rate_date"),
    time_column="rate_date",
    columns=(
        Column("currency", S, "ISO 4217 code.", nullable=False, example="EUR"),
        Column("rate_date", D, "First day the rate applies.", nullable=False),
        Column(
            "rate", F, "Reporting-currency units per unit of currency.", nullable=False, minimum=0
        ),
    ),
)

COSTS = Table(
    name="costs",
    description="CS cost and customer acquisition cost by month (net profitability).",
    primary_key=("month", "category"),
    time_column="month",
    columns=(
        Column("month", D, "First day of the month.", nullable=False),
        Column("category", S, "Cost category.", nullable=False, allowed=COST_CATEGORIES),
        Column("amount", M, "Cost in the reporting currency.", nullable=False, minimum=0),
    ),
)

TARGETS = Table(
    name="targets",
    description="Targets per CSM, team or company per period (config can also set them).",
    primary_key=("kpi", "grain", "grain_id", "period"),
    columns=(
        Column("kpi", S, "KPI name from the registry.", nullable=False, example="logo_retention"),
        Column("grain", S, "csm, team or company.", nullable=False, allowed=TARGET_GRAINS),
        Column("grain_id", S, "csm_id or team name; 'all' for the company.", nullable=False),
        Column("period", S, "Period, e.g. 2026-Q3.", nullable=False),
        Column("target", F, "Target value in the KPI's unit.", nullable=False),
    ),
)

TABLES: tuple[Table, ...] = (
    ACCOUNTS,
    CSMS,
    ASSIGNMENTS,
    CONTRACTS,
    USERS,
    EVENTS,
    TICKETS,
    SURVEY_SENDS,
    SURVEY_RESPONSES,
    ADVOCACY,
    ONBOARDINGS,
    INVOICES,
    ACTIVITIES,
    ENGAGEMENTS,
    SUCCESS_PLANS,
    OPPORTUNITIES,
    RENEWAL_FORECASTS,
    FX_RATES,
    COSTS,
    TARGETS,
)
