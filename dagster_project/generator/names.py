"""Synthetic people: names, emails, roles. Every name is made up from common name parts."""

from __future__ import annotations

import random
import re
import unicodedata

FIRST_NAMES = (
    "Aaron",
    "Abigail",
    "Adam",
    "Aisha",
    "Alex",
    "Alice",
    "Amelia",
    "Amir",
    "Amy",
    "Andrew",
    "Anna",
    "Arjun",
    "Ben",
    "Bethan",
    "Callum",
    "Carys",
    "Charlotte",
    "Chloe",
    "Chris",
    "Claire",
    "Connor",
    "Craig",
    "Dafydd",
    "Daniel",
    "David",
    "Declan",
    "Eleanor",
    "Elliot",
    "Emily",
    "Emma",
    "Ffion",
    "Fiona",
    "Gareth",
    "Gemma",
    "Georgia",
    "Grace",
    "Hannah",
    "Harry",
    "Harpreet",
    "Helen",
    "Imran",
    "Isla",
    "Jack",
    "Jade",
    "James",
    "Jasmine",
    "Jessica",
    "Joe",
    "Jordan",
    "Joseph",
    "Karen",
    "Kate",
    "Kieran",
    "Laura",
    "Leah",
    "Liam",
    "Lucy",
    "Luke",
    "Mark",
    "Martin",
    "Megan",
    "Michael",
    "Mohammed",
    "Naomi",
    "Natasha",
    "Neil",
    "Nia",
    "Niamh",
    "Oliver",
    "Owen",
    "Paul",
    "Priya",
    "Rachel",
    "Rhys",
    "Richard",
    "Rebecca",
    "Rosie",
    "Ryan",
    "Saira",
    "Sam",
    "Sarah",
    "Sean",
    "Siân",
    "Sophie",
    "Stephen",
    "Steven",
    "Tom",
    "Tariq",
    "Victoria",
    "Will",
    "Yusuf",
    "Zara",
    "Zoë",
)
SURNAMES = (
    "Ahmed",
    "Ali",
    "Allen",
    "Anderson",
    "Atkinson",
    "Bailey",
    "Baker",
    "Barnes",
    "Bell",
    "Bennett",
    "Bhatti",
    "Brown",
    "Burns",
    "Campbell",
    "Carter",
    "Chapman",
    "Clarke",
    "Collins",
    "Cooper",
    "Davies",
    "Dixon",
    "Edwards",
    "Ellis",
    "Evans",
    "Fisher",
    "Fletcher",
    "Foster",
    "Graham",
    "Green",
    "Griffiths",
    "Hall",
    "Harris",
    "Hughes",
    "Hussain",
    "Jackson",
    "James",
    "Jenkins",
    "Johnson",
    "Jones",
    "Kaur",
    "Kelly",
    "Khan",
    "King",
    "Lewis",
    "Lloyd",
    "Marshall",
    "Martin",
    "Mason",
    "Mills",
    "Mitchell",
    "Moore",
    "Morgan",
    "Morris",
    "Murphy",
    "Murray",
    "Nolan",
    "O'Brien",
    "O'Connor",
    "Owen",
    "Parker",
    "Patel",
    "Pearson",
    "Phillips",
    "Powell",
    "Price",
    "Pritchard",
    "Rahman",
    "Reid",
    "Roberts",
    "Robinson",
    "Rogers",
    "Scott",
    "Shaw",
    "Singh",
    "Smith",
    "Stewart",
    "Taylor",
    "Thomas",
    "Thompson",
    "Turner",
    "Walker",
    "Ward",
    "Watson",
    "White",
    "Wilkinson",
    "Williams",
    "Wilson",
    "Wood",
    "Wright",
    "Young",
)

STAFF_ROLES = (
    "Intelligence Analyst",
    "Senior Intelligence Analyst",
    "Researcher",
    "Senior Researcher",
    "Intelligence Development Officer",
    "Data Insight Analyst",
    "Detective Constable",
    "Detective Sergeant",
    "Detective Inspector",
    "Team Leader",
    "Data Engineer",
    "Technical Lead",
    "Business Support Officer",
)
NATIONAL_ROLES = (
    "Programme Manager",
    "Communications Lead",
    "Finance Officer",
    "HR Business Partner",
)
CLIENT_ROLES = ("DC", "DS", "DI", "PC", "Analyst", "Intelligence Officer", "DCI", "Researcher")


def slug(text: str) -> str:
    """`West Yorkshire` -> `west-yorkshire`, `Siân` -> `sian`, `O'Brien` -> `obrien`."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    ascii_text = ascii_text.replace("'", "").lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")


class People:
    """Draws unique synthetic people; emails are unique across the whole delivery."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()

    def name(self) -> tuple[str, str]:
        return self.rng.choice(FIRST_NAMES), self.rng.choice(SURNAMES)

    def person(self, organisation: str) -> tuple[str, str]:
        """(full name, email) of a new person at a force or team."""
        domain = f"{slug(organisation)}.police.uk"
        while True:
            first, last = self.name()
            local = f"{slug(first).replace('-', '')}.{slug(last).replace('-', '')}"
            email = f"{local}@{domain}"
            n = 2
            while email in self.used:  # real directories add a digit to clashing names
                email = f"{local}{n}@{domain}"
                n += 1
            self.used.add(email)
            return f"{first} {last}", email
