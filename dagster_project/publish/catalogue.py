"""Names the pack and the workbook show: research questions, KPI titles, period labels."""

from __future__ import annotations

from datetime import date

from dagster_project.fiscal import Quarter

from .figures import KpiRow

RESEARCH_QUESTIONS: dict[str, str] = {
    "Q1": "What is the impact of the TOEX programme on the identification, prioritisation and "
    "disruption of organised exploitation offenders and protection of those they would exploit?",
    "Q2": "How effective is the centrally coordinated, regionally delivered TOEX model?",
    "Q3": "How feasible, accessible and cost-effective is a centrally delivered TOEX Capabilities "
    "Environment?",
    "Q4": "How feasible, accessible and cost-effective is it to upscale the TOEX Data Platform "
    "architecture to deliver data environments for operational and strategic application beyond "
    "the programme?",
    "Q5": "What is the ongoing financial efficacy of the regional TOEX ops model, in terms of costs "
    "incurred and savings made?",
}

KPI_NAMES: dict[str, str] = {
    "Q1.1": "Identification of new threats",
    "Q1.2": "Changes in risk scores",
    "Q1.3": "Disruptions informed by TOEX products",
    "Q1.4": "Individuals safeguarded",
    "Q2.1": "Proactive, self-generated taskings",
    "Q2.2": "Client feedback",
    "Q2.3": "Enrichment of unmet demand",
    "Q2.4": "HR strategy and staff engagement",
    "Q2.5": "Communications",
    "Q3.1": "New data tools and capabilities (TDA pipeline)",
    "Q3.2": "The Capabilities Environment in operation",
    "Q3.3": "Capability deployments through APMIS",
    "Q4.1": "Data Platform reach",
    "Q4.2": "Data Platform usage and storage",
    "Q4.3": "Data Platform cost",
    "Q5.1": "Costs incurred",
    "Q5.2": "Savings made",
}

# What each KPI measures, in the pack's words.
KPI_DESCRIPTIONS: dict[str, str] = {
    "Q1.1": "New threats tracked over time across TOEX regional and national team taskings: "
    "verified identifications recorded in APMIS and the Internal Workload Tracker.",
    "Q1.2": "MoRiLE score changes across TOEX and non-TOEX operations compared, to identify if TOEX "
    "involvement leads to earlier identification of risk and risk reduction activity.",
    "Q1.3": "Disruptions in APMIS used to quantify the effect of TOEX involvement in an operation "
    "compared to non-TOEX involved operations.",
    "Q1.4": "The number of individuals referred through a safeguarding channel as recorded on "
    "TOEX's Internal Workload Tracker and through APMIS disruption recording.",
    "Q2.1": "Count of self-generated taskings and analysis of what happens with development, "
    "forward ownership and prioritisation within relevant tasking processes.",
    "Q2.2": "Quarterly survey of TOEX clients used to measure how TOEX products improve the threat "
    "picture and inform decisions.",
    "Q2.3": "Exploitation threats on the SOC Master List, MoRiLE assessments and the Top 10 Highest "
    "Risk operations per exploitation threat type.",
    "Q2.4": "Positions, starters, leavers, length of service and periodic employee surveys to "
    "track engagement.",
    "Q2.5": "Key audiences informed, updated and engaged: statistical analysis of communications "
    "delivery.",
    "Q3.1": "Tracked via the Technical Design Authority (TDA) process, from 'idea' through business "
    "need, development, testing and assurance to deployment.",
    "Q3.2": "Organisations accepted for and onboarded to the Capabilities Environment, and its cost.",
    "Q3.3": "Number of capabilities deployed and the reach of each application, through APMIS "
    "disruption recording and tool usage.",
    "Q4.1": "Number, nature and reach of Data Platform users.",
    "Q4.2": "Platform usage and storage, measured from the warehouse itself.",
    "Q4.3": "Costs of the Data Platform cost centre.",
    "Q5.1": "Programme costs by category and cost centre, and per outcome.",
    "Q5.2": "Savings made: tool units valued at the commercial rate the work would otherwise have "
    "cost, less the Capabilities Environment's costs.",
}

PERIOD_TYPE_ORDER = ("quarter", "month", "fy_to_date", "financial_year", "since_inception", "as_at")


def question_of(kpi_id: str) -> str | None:
    head = str(kpi_id).split(".")[0].upper()
    return head if head in RESEARCH_QUESTIONS else None


def _d(value: date) -> str:
    return f"{value.day} {value:%b %Y}"


def period_label(row: KpiRow) -> str:
    """People's name for a row's period: `2025-26 Q1`, `FY 2024-25`, `As at 30 Jun 2025` ..."""
    start, end, kind = row.period_start, row.period_end, row.period_type
    if start is None or end is None:
        return kind
    if kind == "quarter":
        return Quarter.containing(start).label
    if kind == "financial_year":
        return f"FY {Quarter.containing(start).fy_label}"
    if kind == "fy_to_date":
        return f"FY {Quarter.containing(start).fy_label} to date"
    if kind == "since_inception":
        return f"Since inception ({_d(start)} to {_d(end)})"
    if kind == "as_at":
        return f"As at {_d(end)}"
    if kind == "month":
        return f"{start:%b %Y}"
    return f"{start.isoformat()} to {end.isoformat()}"
