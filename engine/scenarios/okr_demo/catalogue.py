"""The words of the OKR demo tenant: departments, teams, titles, names and notes.

Pure data. The order of every tuple is part of the scenario's output (draws pick by
index), so reordering or editing an entry changes the log: bump the scenario's
``version`` with it.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = [
    "CYCLES",
    "DOMAINS",
    "FIRST_NAMES",
    "LAST_NAMES",
    "NOTES",
    "PILLARS",
    "TENANT_DOMAIN",
    "WORKSPACES",
    "CycleSpec",
    "Domain",
    "KeyResultTemplate",
    "PillarSpec",
    "WorkspaceSpec",
]


class CycleSpec(NamedTuple):
    """A quarter with the spec's anchored dates (section 3), ISO strings."""

    name: str
    start: str
    end: str
    status: str
    """Fixed, not derived from ``as_of``: only check-ins may move with ``as_of``."""


# Spec section 3. Q4 2025 is ACTIVE as the spec's own upsert writes it; the three
# 2026 quarters are planned. Check-ins are made for the active cycle's key results.
CYCLES: tuple[CycleSpec, ...] = (
    CycleSpec("Q4 2025", "2025-10-01", "2025-12-31", "ACTIVE"),
    CycleSpec("Q1 2026", "2026-01-01", "2026-03-31", "PLANNED"),
    CycleSpec("Q2 2026", "2026-04-01", "2026-06-30", "PLANNED"),
    CycleSpec("Q3 2026", "2026-07-01", "2026-09-30", "PLANNED"),
)


class PillarSpec(NamedTuple):
    name: str
    description: str


PILLARS: tuple[PillarSpec, ...] = (
    PillarSpec(
        "Customer Experience Quality",
        "Every contact resolved quickly, warmly and right the first time.",
    ),
    PillarSpec(
        "Operational Excellence",
        "Reliable platform, efficient teams, predictable delivery.",
    ),
    PillarSpec(
        "Sustainable Growth",
        "Grow revenue and retention in the markets we serve, profitably.",
    ),
    PillarSpec(
        "People & Culture",
        "A place where people do the best work of their careers.",
    ),
)


class KeyResultTemplate(NamedTuple):
    """A measurable result; ``title`` has ``{start}`` and ``{target}`` placeholders.

    The start value is drawn from ``start_low..start_high`` and the target is the
    start plus a change drawn from ``change_low..change_high`` (negative: reduce).
    """

    title: str
    unit: str
    start_low: int
    start_high: int
    change_low: int
    change_high: int


class Domain(NamedTuple):
    """What one part of the company sets objectives about."""

    objectives: tuple[str, ...]
    key_results: tuple[KeyResultTemplate, ...]
    initiatives: tuple[str, ...]
    pillar: int
    """Index into :data:`PILLARS` this domain's objectives lean towards."""


K = KeyResultTemplate

TENANT_DOMAIN = Domain(
    objectives=(
        "Improve Customer Satisfaction",
        "Grow Annual Recurring Revenue",
        "Become the Most Reliable Contact Centre Platform",
        "Make Every Customer Conversation Count",
        "Build a High-Performance, Inclusive Culture",
        "Expand into New European Markets",
        "Scale AI Across the Customer Journey",
        "Run an Efficient, Sustainable Business",
    ),
    key_results=(
        K("Raise NPS from {start} to {target}", "points", 35, 60, 8, 20),
        K("Grow ARR from £{start}m to £{target}m", "GBP million", 40, 60, 5, 15),
        K("Lift CSAT from {start}% to {target}%", "percent", 78, 86, 3, 8),
        K("Cut gross revenue churn from {start}% to {target}%", "percent", 8, 12, -5, -2),
        K("Reduce monthly downtime from {start} to {target} minutes", "minutes", 60, 120, -50, -20),
        K("Raise employee engagement from {start} to {target}", "points", 62, 72, 4, 10),
        K("Grow net revenue retention from {start}% to {target}%", "percent", 100, 108, 3, 8),
        K("Grow new enterprise logos from {start} to {target}", "customers", 0, 0, 10, 25),
    ),
    initiatives=(
        "Deploy Customer Feedback Portal",
        "Launch the Customer Advisory Board",
        "Roll Out Quarterly Business Reviews",
        "Introduce a Company-Wide OKR Cadence",
        "Open a Nordic Regional Hub",
        "Run a Quarterly Engagement Survey",
    ),
    pillar=0,
)

SALES_DOMAIN = Domain(
    objectives=(
        "Build a Predictable Enterprise Pipeline",
        "Win More Competitive Deals",
        "Shorten the Sales Cycle",
        "Grow Expansion Revenue in Existing Accounts",
        "Land Flagship Logos in the Public Sector",
        "Make Every Rep Ramp Faster",
        "Improve Forecast Accuracy",
        "Sell the Full CX Platform, Not Point Products",
    ),
    key_results=(
        K("Grow qualified pipeline from £{start}m to £{target}m", "GBP million", 8, 14, 3, 8),
        K("Raise win rate from {start}% to {target}%", "percent", 18, 26, 4, 9),
        K("Cut median sales cycle from {start} to {target} days", "days", 90, 140, -35, -10),
        K("Lift average deal size from £{start}k to £{target}k", "GBP thousand", 40, 70, 8, 25),
        K("Grow qualified meetings a month from {start} to {target}", "meetings", 80, 140, 20, 60),
        K("Raise forecast accuracy from {start}% to {target}%", "percent", 70, 82, 5, 12),
        K("Cut new-rep ramp time from {start} to {target} days", "days", 120, 180, -60, -20),
        K("Grow multi-product deals from {start}% to {target}%", "percent", 15, 30, 8, 20),
    ),
    initiatives=(
        "Roll Out Value-Based Selling Training",
        "Launch a Partner-Sourced Pipeline Programme",
        "Standardise Mutual Action Plans",
        "Build a Competitive Battlecard Library",
        "Introduce Deal Desk Reviews",
        "Automate CRM Hygiene Checks",
    ),
    pillar=2,
)

SUPPORT_DOMAIN = Domain(
    objectives=(
        "Resolve More Contacts at First Touch",
        "Cut Customer Wait Times",
        "Deliver Consistent Omnichannel Support",
        "Raise Support CSAT Across Every Queue",
        "Make Knowledge Easy to Find",
        "Handle Peaks Without Burning Out the Team",
        "Reduce Repeat Contacts",
        "Make Escalations Rare and Fast",
    ),
    key_results=(
        K("Raise first-contact resolution from {start}% to {target}%", "percent", 62, 72, 5, 12),
        K("Cut average handle time from {start}s to {target}s", "seconds", 360, 480, -90, -30),
        K("Reduce average speed of answer from {start}s to {target}s", "seconds", 40, 90, -30, -10),
        K("Lift support CSAT from {start}% to {target}%", "percent", 80, 88, 3, 7),
        K("Cut abandonment rate from {start}% to {target}%", "percent", 6, 11, -5, -2),
        K("Grow self-service deflection from {start}% to {target}%", "percent", 18, 30, 5, 15),
        K("Cut Tier 2 escalations from {start}% to {target}%", "percent", 12, 20, -8, -3),
        K("Raise schedule adherence from {start}% to {target}%", "percent", 82, 90, 3, 7),
    ),
    initiatives=(
        "Launch Knowledge-Centred Service",
        "Deploy Intelligent Routing for Chat",
        "Introduce Callback in Queue",
        "Rebuild the Agent Onboarding Academy",
        "Pilot AI-Suggested Replies",
        "Refresh Quality Assurance Scorecards",
    ),
    pillar=0,
)

SUCCESS_DOMAIN = Domain(
    objectives=(
        "Get Every New Customer Live Faster",
        "Protect and Grow Our Base",
        "Prove Value in Every Business Review",
        "Turn Customers into Advocates",
        "Spot Churn Risk Before It Happens",
        "Drive Adoption of New Features",
        "Make Renewals a Non-Event",
        "Scale Success with Digital Programmes",
    ),
    key_results=(
        K("Cut time to go-live from {start} to {target} days", "days", 45, 75, -25, -8),
        K("Raise gross retention from {start}% to {target}%", "percent", 88, 93, 2, 5),
        K(
            "Grow accounts with a health score above 70 from {start}% to {target}%",
            "percent",
            55,
            68,
            6,
            15,
        ),
        K(
            "Raise strategic accounts with a QBR from {start}% to {target}%",
            "percent",
            50,
            70,
            15,
            30,
        ),
        K("Grow referenceable customers from {start} to {target}", "customers", 20, 40, 8, 20),
        K("Raise feature adoption from {start}% to {target}%", "percent", 30, 45, 10, 20),
        K("Raise on-time renewals from {start}% to {target}%", "percent", 78, 88, 5, 10),
        K("Grow digital-touch NPS from {start} to {target}", "points", 25, 40, 5, 15),
    ),
    initiatives=(
        "Launch a Customer Health Dashboard",
        "Standardise the Onboarding Playbook",
        "Start a Customer Community Programme",
        "Automate Renewal Reminders",
        "Run Adoption Webinars Every Month",
        "Map Executive Sponsors for Top Accounts",
    ),
    pillar=2,
)

PRODUCT_DOMAIN = Domain(
    objectives=(
        "Ship the Next-Generation Agent Desktop",
        "Make the Platform Boringly Reliable",
        "Bring Generative AI to Every Agent",
        "Speed Up Delivery Without Breaking Things",
        "Cut the Cost of Running the Platform",
        "Make Integrations Self-Service",
        "Raise the Bar on Security and Privacy",
        "Pay Down Critical Technical Debt",
    ),
    key_results=(
        K(
            "Cut API errors from {start} to {target} per million calls",
            "per million",
            40,
            90,
            -30,
            -10,
        ),
        K("Cut P1 incidents from {start} to {target} a quarter", "incidents", 8, 14, -8, -3),
        K("Grow weekly deployments from {start} to {target}", "deployments", 20, 40, 10, 30),
        K("Cut change failure rate from {start}% to {target}%", "percent", 12, 20, -9, -4),
        K(
            "Reduce mean time to restore from {start} to {target} minutes",
            "minutes",
            60,
            120,
            -60,
            -20,
        ),
        K("Grow AI-assisted conversations from {start}% to {target}%", "percent", 5, 15, 10, 25),
        K("Cut cloud spend per contact from {start}p to {target}p", "pence", 8, 14, -5, -2),
        K("Grow critical debt items closed from {start} to {target}", "items", 0, 0, 8, 20),
    ),
    initiatives=(
        "Migrate Routing to the New Event Bus",
        "Introduce Error Budgets for Every Service",
        "Launch the Public Integrations Marketplace",
        "Build an LLM Evaluation Harness",
        "Automate Dependency Upgrades",
        "Run Quarterly Game Days",
    ),
    pillar=1,
)

MARKETING_DOMAIN = Domain(
    objectives=(
        "Generate Pipeline Sales Can Close",
        "Make Puzzel the Name in Contact-Centre AI",
        "Launch Products the Market Understands",
        "Grow Organic Demand",
        "Turn Events into Revenue",
        "Sharpen Our Positioning Against Competitors",
        "Build a Content Engine",
        "Prove Marketing ROI",
    ),
    key_results=(
        K(
            "Grow marketing-sourced pipeline from £{start}m to £{target}m",
            "GBP million",
            3,
            6,
            1,
            4,
        ),
        K("Raise MQL-to-SQL conversion from {start}% to {target}%", "percent", 14, 22, 4, 10),
        K(
            "Grow organic sessions from {start}k to {target}k a month",
            "thousand sessions",
            40,
            70,
            10,
            30,
        ),
        K("Lift unaided brand awareness from {start}% to {target}%", "percent", 8, 14, 3, 8),
        K("Grow analyst-grade reports published from {start} to {target}", "reports", 0, 0, 3, 8),
        K("Cut cost per opportunity from £{start} to £{target}", "GBP", 900, 1400, -400, -150),
        K(
            "Grow event-sourced pipeline from £{start}k to £{target}k",
            "GBP thousand",
            300,
            600,
            100,
            300,
        ),
        K("Raise launch readiness score from {start} to {target}", "points", 55, 70, 10, 20),
    ),
    initiatives=(
        "Launch the CX Benchmark Report",
        "Rebuild the Website on a Headless CMS",
        "Run an ABM Programme for Top 50 Accounts",
        "Host the Puzzel CX Summit",
        "Create a Competitive Messaging House",
        "Introduce Multi-Touch Attribution",
    ),
    pillar=2,
)


class WorkspaceSpec(NamedTuple):
    """A department: its name (slugified per spec section 6), its teams and people."""

    name: str
    teams: tuple[str, ...]
    members: int
    """Members per scale step; ``member-<slug>-1`` to ``member-<slug>-<members>`` at scale 1."""
    member_titles: tuple[str, ...]
    domain: Domain


# Five departments a contact-centre software company really has. Leads and members
# follow the manager chain's tiers: 5 admins, 15 workspace leads (3 per workspace),
# 24 team leads (2 per team), and 154 members, so that with the founder and the
# platform user the tenant has exactly the spec's 200 users at scale 1.
WORKSPACES: tuple[WorkspaceSpec, ...] = (
    WorkspaceSpec(
        "Sales",
        ("Enterprise Sales", "Mid-Market Sales", "Sales Development"),
        50,
        (
            "Account Executive",
            "Senior Account Executive",
            "Sales Development Representative",
            "Solutions Consultant",
        ),
        SALES_DOMAIN,
    ),
    WorkspaceSpec(
        "Customer Support",
        ("Tier 1 Support", "Tier 2 Support", "Support Operations"),
        44,
        ("Support Agent", "Senior Support Agent", "Support Engineer", "Workforce Planner"),
        SUPPORT_DOMAIN,
    ),
    WorkspaceSpec(
        "Customer Success",
        ("Onboarding", "Account Management"),
        22,
        ("Customer Success Manager", "Onboarding Specialist", "Renewals Manager"),
        SUCCESS_DOMAIN,
    ),
    WorkspaceSpec(
        "Product & Engineering",
        ("Contact Centre Platform", "AI & Automation"),
        24,
        (
            "Software Engineer",
            "Senior Software Engineer",
            "Product Manager",
            "Product Designer",
            "Site Reliability Engineer",
        ),
        PRODUCT_DOMAIN,
    ),
    WorkspaceSpec(
        "Marketing",
        ("Demand Generation", "Product Marketing"),
        14,
        ("Campaign Manager", "Content Marketer", "Product Marketing Manager"),
        MARKETING_DOMAIN,
    ),
)

DOMAINS: tuple[Domain, ...] = (TENANT_DOMAIN, *(w.domain for w in WORKSPACES))

FIRST_NAMES: tuple[str, ...] = (
    "Amelia", "Oliver", "Isla", "George", "Ava", "Harry", "Freya", "Jack", "Grace", "Noah",
    "Sophie", "Leo", "Emily", "Oscar", "Chloe", "Arthur", "Ingrid", "Lars", "Sigrid", "Magnus",
    "Astrid", "Henrik", "Nora", "Erik", "Maja", "Anders", "Priya", "Arjun", "Aisha", "Omar",
    "Zara", "Yusuf", "Mei", "Daniel", "Fatima", "Samuel", "Chiara", "Mateo", "Elena", "Tomás",
)  # fmt: skip

LAST_NAMES: tuple[str, ...] = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Thomas", "Roberts",
    "Walker", "Wright", "Hughes", "Edwards", "Green", "Hall", "Wood", "Hansen", "Johansen",
    "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen", "Berg", "Haugen", "Lie", "Patel",
    "Khan", "Ahmed", "Singh", "Ali", "Chen", "Murphy", "O'Brien", "Kelly", "Rossi",
    "García", "Novak", "Kowalski", "Dubois",
)  # fmt: skip

# Check-in notes by how the key result is going.
NOTES: dict[str, tuple[str, ...]] = {
    "good": (
        "On plan; the trend holds.",
        "Ahead of plan this week.",
        "Steady progress, no blockers.",
        "Good week: the new process is paying off.",
    ),
    "worrying": (
        "Slipping; agreed recovery actions with the team.",
        "Behind plan, waiting on a dependency.",
        "Mixed week; watching this closely.",
        "Progress slowed by staffing gaps.",
    ),
    "stuck": (
        "No movement yet; blocked on prioritisation.",
        "Not started: capacity went to incidents.",
        "Stalled; escalated to the workspace lead.",
        "No progress this period.",
    ),
}
