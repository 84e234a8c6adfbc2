"""Words the demo company is made of: names, industries, products, comments, goals.

Kept apart from the simulation so the numbers code reads as numbers; every list is
a tuple so an index drawn by the simulation always means the same word.
"""

from __future__ import annotations

TIERS = ("strategic", "corp", "low_touch")
SEGMENTS = ("enterprise", "mid_market", "smb")
REGIONS = ("NA", "EMEA", "APAC")
CURRENCIES = ("USD", "EUR", "GBP")
INDUSTRIES = (
    "software",
    "financial_services",
    "healthcare",
    "manufacturing",
    "retail",
    "education",
    "media",
    "professional_services",
    "logistics",
    "telecom",
)
PRODUCTS = ("scheduler", "router", "handoff", "insights")
CUSTOMER_TEAMS = (
    "sales",
    "marketing",
    "customer_success",
    "recruiting",
    "partnerships",
    "support",
)
CS_TEAMS = ("Strategic", "Corp Americas", "Corp International", "Scale")
USER_ROLES = ("champion", "admin", "executive", "user")

EVENT_TYPES = (
    "sign_in",
    "meeting_booked",
    "settings_changed",
    "routing_rule_created",
    "calendar_connected",
    "report_viewed",
    "page_view",
)

VENDOR_DOMAIN = "routewise.example"

# fmt: off
FIRST_NAMES = (
    "Ana", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jamal",
    "Kira", "Liam", "Maya", "Noah", "Olga", "Priya", "Quinn", "Rafael", "Sara", "Tomas",
    "Uma", "Victor", "Wen", "Ximena", "Yusuf", "Zoe", "Aiko", "Bruno", "Carmen", "Dario",
)
LAST_NAMES = (
    "Almeida", "Brooks", "Chen", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad",
    "Ito", "Jensen", "Kowalski", "Lopez", "Martin", "Novak", "Okafor", "Petrov",
    "Quintero", "Rossi", "Schmidt", "Tanaka", "Usman", "Varga", "Walsh", "Xu",
    "Yilmaz", "Zimmer",
)

COMPANY_PREFIXES = (
    "Acme", "Blue", "Bright", "Cedar", "Cobalt", "Crest", "Delta", "Ember", "Evergreen",
    "Falcon", "Granite", "Harbor", "Helix", "Horizon", "Iron", "Juniper", "Keystone",
    "Lumen", "Maple", "Meridian", "Nimbus", "North", "Oak", "Orbit", "Pioneer", "Quartz",
    "Redwood", "Sierra", "Silver", "Summit", "Tidal", "True", "Union", "Vector", "Vista",
    "West", "Willow", "Zenith", "Atlas", "Beacon",
)
COMPANY_ROOTS = (
    "Analytics", "Bank", "Biotech", "Brands", "Capital", "Cloud", "Commerce", "Data",
    "Dynamics", "Energy", "Foods", "Freight", "Health", "Insurance", "Labs", "Learning",
    "Logistics", "Media", "Medical", "Mobility", "Networks", "Partners", "Payments",
    "Retail", "Robotics", "Security", "Software", "Solutions", "Systems", "Telecom",
)
COMPANY_SUFFIXES = ("Inc.", "Ltd", "Group", "Co.", "GmbH", "LLC", "SA", "Holdings")
# fmt: on

NPS_COMMENTS = {
    "promoter": (
        "Our reps book twice as many first meetings since we switched.",
        "Routing just works, and support answers within the hour.",
        "The best tool in our sales stack, the CSM knows our business.",
        "Setup was painless and the team adopted it in a week.",
        "Inbound leads now get a meeting before they leave the page.",
    ),
    "passive": (
        "Good product, reporting could be deeper.",
        "Works well for sales, harder to roll out to other teams.",
        "Fine overall, pricing is on the high side.",
        "Does the job; the admin screens take getting used to.",
    ),
    "detractor": (
        "Too many sync errors with our calendars.",
        "We pay for seats nobody uses.",
        "Support takes days to respond.",
        "Our champion left and nobody explained the new routing setup.",
        "Missing features we were promised during the sale.",
        "Round-robin keeps assigning meetings to people on leave.",
    ),
}

SUCCESS_GOALS = (
    "Book 30% more first meetings from inbound leads",
    "Route every inbound lead to a rep within 5 minutes",
    "Cut the meeting no-show rate below 10%",
    "Roll out to the whole SDR team",
    "Connect every AE calendar",
    "Retire the round-robin spreadsheet",
    "Report weekly on meeting conversion",
    "Launch with the EMEA sales team",
    "Sync every booked meeting to the CRM",
    "Halve lead response time",
    "Automate the SDR to AE handoff",
    "Train every new hire in their first week",
    "Give marketing self-serve routing rules",
    "Book customer success check-ins automatically",
)

SUPPORT_COMMENTS = {
    "promoter": (
        "Fixed on the first reply.",
        "Quick and clear answer, thanks.",
    ),
    "passive": (
        "Solved, but I had to explain the issue twice.",
        "Took a while, got there in the end.",
    ),
    "detractor": (
        "Still waiting for a real fix.",
        "Three agents, three different answers.",
    ),
}
