"""Client (operational) feedback survey and the case studies of the evaluation pack.

Feedback: 33 responses in 2025-26 Q1 with the exact answer counts per question of
the pack (question 5 keeps 2 of its 4 "Not Applicable"), and 166 answers to the
recommend question since the survey opened, all "Yes". Comments and case-study
bodies are synthetic text written for this dataset.
"""

from __future__ import annotations

import logging
from datetime import date

from .common import (
    LIKERT,
    PRE_QUARTER_END,
    QUARTER_END,
    QUARTER_START,
    TERRITORIAL,
    Table,
    days,
    iso,
    rand_date,
)
from .model import World
from .names import CLIENT_ROLES

log = logging.getLogger("toex.generator")

SA, SLA, NAND, SLD, STD, NA = LIKERT
QUESTIONS = (
    "q1_referral_clear",
    "q2_team_accessible",
    "q3_kept_updated",
    "q4_timescales_met",
    "q5_terms_of_reference",
    "q6_product_useful",
)
Q1_ANSWERS = {
    "q1_referral_clear": {SA: 26, SLA: 3, NA: 2, SLD: 2},
    "q2_team_accessible": {SA: 30, SLA: 2, SLD: 1},
    "q3_kept_updated": {SA: 29, SLA: 4},
    "q4_timescales_met": {SA: 26, SLA: 5, NAND: 2},
    "q5_terms_of_reference": {SA: 26, SLA: 3, NAND: 1, NA: 2, SLD: 1},
    "q6_product_useful": {SA: 29, SLA: 3, NAND: 1},
}
Q1_RESPONSES = 33
Q1_RECOMMEND_BLANK = 2
PRE_RESPONSES, PRE_RECOMMEND_BLANK = 160, 25  # 135 + 31 = 166 answered "Yes"
SURVEY_OPENED = date(2022, 6, 1)

# Responses quoted in the pack: (operation role, force, role, synthetic comment).
QUOTED = (
    (
        "EMSOU Op 100",
        "Derbyshire",
        "DS",
        (
            "Access to Traffic Jam through TOEX gave the development real momentum; we do not hold "
            "that licence in force. The analysts also shaped our intelligence priorities."
        ),
    ),
    (
        "YHROCU Op 7",
        "West Yorkshire",
        "DS",
        (
            "The team absorbed a backlog of subscriber checks for us, which let officers reach "
            "victims sooner."
        ),
    ),
    (
        "ERSOU Op 73",
        "Essex",
        "DS",
        "Phone downloads and translations came back far quicker than our own queue allows.",
    ),
    (
        "LONDON Op 20",
        "Metropolitan Police",
        "DI",
        "The intelligence development identified the suspects we went on to arrest.",
    ),
    (
        "TARIAN Op 18",
        "South Wales",
        "DS",
        "The phone work linked further victims to the suspects and supported all three charges.",
    ),
    (
        "ERSOU Op 63",
        "Bedfordshire",
        "PC",
        (
            "The researcher ran open source checks I could not do myself and explained the "
            "findings clearly."
        ),
    ),
    (
        "TOEX NT Op 41",
        "Derbyshire",
        "Analyst",
        (
            "Searches were turned round quickly and the dashboards made comparing IP "
            "addresses easy. We will use the DART and translation tools next."
        ),
    ),
    (
        "SEROCU Op 56",
        "Sussex",
        "DI",
        "The final analytical report was thorough and has been shared with our MSHT leads.",
    ),
    (
        "SEROCU Op 56",
        "Sussex",
        "DS",
        "A knowledgeable team whose combined skills produced excellent work.",
    ),
    (
        "NEROCU Op 63",
        "Northumbria",
        "PC",
        (
            "Without TOEX we would not have had the time-critical information the investigation "
            "needed."
        ),
    ),
)
GENERIC_COMMENTS = (
    "Responsive team, clear products.",
    "Would use again.",
    "Helpful research that filled gaps in our intelligence picture.",
    "Good communication throughout the tasking.",
    "The analysis gave us new lines of enquiry.",
    "Some delays at the start but kept informed.",
    "",
)


def _answer(rng) -> str:
    if rng.random() < 0.03:
        return ""
    return rng.choices(LIKERT, (70, 18, 4, 3, 1, 4))[0]


def feedback_table(w: World) -> Table:
    rng = w.sub_rng("feedback")
    rows: list[dict] = []

    def response(d, op, force, role, answers, recommend, comment):
        _, email = w.people.person(force)
        row = {
            "submitted_date": d,
            "operation_ref": op.ref if op else "",
            "respondent_email": email,
            "respondent_role": role,
            "respondent_force": force,
            "would_recommend": recommend,
            "comments": comment,
        }
        row.update(answers)
        rows.append(row)

    closed_q1 = [j.op for j in w.jobs if j.state == "closed_q1"]
    cols = {q: [a for a, n in Q1_ANSWERS[q].items() for _ in range(n)] for q in QUESTIONS}
    for col in cols.values():
        rng.shuffle(col)
    recommend = ["Yes"] * (Q1_RESPONSES - Q1_RECOMMEND_BLANK) + [""] * Q1_RECOMMEND_BLANK
    rng.shuffle(recommend)
    for i in range(Q1_RESPONSES):
        answers = {q: cols[q][i] for q in QUESTIONS}
        if i < len(QUOTED):
            role_name, force, role, comment = QUOTED[i]
            op = w.roles[role_name]
        else:
            op = rng.choice(closed_q1) if rng.random() < 0.8 else None
            force = (
                op.owning_force
                if op and op.owning_force in TERRITORIAL
                else rng.choice(TERRITORIAL)
            )
            role, comment = rng.choice(CLIENT_ROLES), rng.choice(GENERIC_COMMENTS)
        d = rand_date(rng, QUARTER_START, QUARTER_END)
        response(d, op, force, role, answers, recommend[i], comment)

    closed_pre = [j for j in w.jobs if j.state == "closed_pre" and j.closed >= SURVEY_OPENED]
    recommend = ["Yes"] * (PRE_RESPONSES - PRE_RECOMMEND_BLANK) + [""] * PRE_RECOMMEND_BLANK
    rng.shuffle(recommend)
    for i in range(PRE_RESPONSES):
        job = rng.choice(closed_pre)
        d = min(job.closed + days(rng.randint(3, 40)), PRE_QUARTER_END)
        op = job.op if rng.random() < 0.85 else None
        force = (
            job.op.owning_force if job.op.owning_force in TERRITORIAL else rng.choice(TERRITORIAL)
        )
        response(
            d,
            op,
            force,
            rng.choice(CLIENT_ROLES),
            {q: _answer(rng) for q in QUESTIONS},
            recommend[i],
            rng.choice(GENERIC_COMMENTS),
        )
    # Submitted after the quarter end: in no 2025-26 Q1 figure.
    for _ in range(2):
        op = rng.choice(closed_q1)
        response(
            rand_date(rng, date(2025, 7, 1), date(2025, 7, 9)),
            op,
            rng.choice(TERRITORIAL),
            rng.choice(CLIENT_ROLES),
            {q: SA for q in QUESTIONS},
            "Yes",
            "",
        )

    rows.sort(key=lambda r: (r["submitted_date"], r["respondent_email"]))
    t = Table(
        "client_feedback",
        [
            "response_id",
            "submitted_date",
            "operation_ref",
            "respondent_email",
            "respondent_role",
            "respondent_force",
            *QUESTIONS,
            "would_recommend",
            "comments",
        ],
        bom=True,
    )
    for i, row in enumerate(rows, 1):
        row["response_id"] = f"CF-{i:05d}"
        row["submitted_date"] = iso(row["submitted_date"])
        t.add(row)
    return t


# --------------------------------------------------------------------------- case studies

CASE_STUDIES = {
    "TARIAN Op 49": (
        "Child exploitation and Class A supply in a city centre",
        (
            "An adult male was suspected of using children to supply Class A drugs and of "
            "sexually exploiting girls he took to private addresses. Victims would not engage, so "
            "no offence had been attributed to him."
        ),
        [
            (
                "Closed intelligence gaps with the force's intelligence units to build the picture "
                "around the principal subject."
            ),
            (
                "Obtained and analysed communications data for known and newly found devices, "
                "identifying victims, associates and locations for proactive action."
            ),
            "Placed the subject's handset at a location that focused enquiries and led to arrest.",
            (
                "Produced a victimology product to support a charging decision without victim "
                "evidence."
            ),
        ],
        (
            "Charged with modern slavery and drug supply offences; convicted at trial and made "
            "subject to a Slavery and Trafficking Prevention Order."
        ),
    ),
    "NWROCU Op 60": (
        "Online sexual communication with a child",
        (
            "A force child exploitation team referred a man suspected of long-running sexual "
            "communication with a teenage girl. TOEX were asked to analyse the call data between "
            "suspect and victim."
        ),
        [
            (
                "Attributed several social media accounts to people engaging sexually with "
                "children and passed packages to the relevant forces."
            ),
            (
                "Found that one suspect on bail for child sexual offences was using social media "
                "in breach of his conditions, and supplied an evidential product."
            ),
            "Submitted safeguarding referrals for the children identified.",
        ],
        "Eleven disruptions recorded during the quarter.",
    ),
    "LONDON Op 35": (
        "Trafficking of women and controlling prostitution",
        (
            "Anonymous letters to police named members of a suspected organised crime group "
            "trafficking women into sex work."
        ),
        [
            (
                "Built subject profiles and confirmed current phone numbers and addresses for the "
                "main suspects, enabling surveillance authorities."
            ),
            (
                "Identified women linked to the group's premises, researched them and disseminated "
                "the results for safeguarding."
            ),
        ],
        "Women found at the premises were given support by specialist safeguarding partners.",
    ),
    "SEROCU Op 56": (
        "Static brothel and suspected proceeds of crime",
        (
            "A previously investigated individual was suspected of running a brothel; financial "
            "intelligence showed large sums moving through their accounts."
        ),
        [
            (
                "Combined advertising payments, travel and police visits into a single timeline to "
                "spot development opportunities."
            ),
            "Used structured hypothesis testing, peer reviewed, to assess the subject's role.",
            "Recommended safeguarding referrals and flagged further individuals of concern.",
        ],
        (
            "Analysis clarified the subject's role as brothel keeper and exploiter and informed "
            "the force's decision on the investigation."
        ),
    ),
    "NEROCU Op 63": (
        "Sexual exploitation linked to drug supply at a residential address",
        (
            "A force identified an address where women were believed to be trafficked for sexual "
            "exploitation and used as a front for drug dealing."
        ),
        [
            "Linked online adverts to the women working at the address.",
            "Built the intelligence picture that directed covert deployments.",
            "Identified significant nominals involved in exploitation and drug supply.",
        ],
        (
            "Several suspects arrested, some charged with immigration offences; NRM referrals "
            "submitted for the women identified."
        ),
    ),
}
UNPUBLISHED_Q1 = ("LONDON Op 29", "ERSOU Op 73")


def _body(title: str, background: str, bullets: list[str], outcome: str) -> str:
    lines = [f"# {title}", "", "## Background", "", background, "", "## Value added by TOEX", ""]
    lines += [f"- {b}" for b in bullets]
    lines += ["", "## Outcome", "", outcome]
    return "\n".join(lines)


def case_studies_table(w: World) -> Table:
    rng = w.sub_rng("case_studies")
    t = Table("case_studies", ["quarter", "operation_ref", "title", "body_markdown", "publish"])
    for role, (title, bg, bullets, outcome) in CASE_STUDIES.items():
        t.add(
            {
                "quarter": "2025-26 Q1",
                "operation_ref": w.roles[role].ref,
                "title": title,
                "body_markdown": _body(title, bg, bullets, outcome),
                "publish": "Yes",
            }
        )
    for role in UNPUBLISHED_Q1:
        title = "Draft: intelligence development awaiting force sign-off"
        t.add(
            {
                "quarter": "2025-26 Q1",
                "operation_ref": w.roles[role].ref,
                "title": title,
                "body_markdown": _body(
                    title,
                    "Case study in preparation.",
                    ["Details to be confirmed with the owning force."],
                    "Not yet approved for publication.",
                ),
                "publish": "No",
            }
        )
    # Earlier quarters: operations whose jobs closed in them.
    earlier = {
        "2024-25 Q4": (date(2025, 1, 1), date(2025, 3, 31), 4),
        "2024-25 Q3": (date(2024, 10, 1), date(2024, 12, 31), 3),
    }
    for quarter, (lo, hi, n) in earlier.items():
        ops = sorted(
            {j.op for j in w.jobs if j.closed and lo <= j.closed <= hi}, key=lambda o: o.ref
        )
        for i, op in enumerate(rng.sample(ops, n)):
            threat = min(op.threats)
            title = f"{threat} intelligence development for {op.owning_force}"
            t.add(
                {
                    "quarter": quarter,
                    "operation_ref": op.ref,
                    "title": title,
                    "body_markdown": _body(
                        title,
                        f"A {threat} referral from {op.owning_force}.",
                        [
                            "Communications data analysis.",
                            "Open source research on the principal subjects.",
                        ],
                        "Intelligence disseminated to the owning force.",
                    ),
                    "publish": "Yes" if i < n - 1 else "No",
                }
            )
    return t
