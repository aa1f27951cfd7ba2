"""Deterministic demo data shared by the three emulators: one small agency's last three months.

The world is service-neutral (local dates and times, minutes, Decimal rates); each emulator turns
it into its own wire format and ids. Same seed and same `today` give the same world, which is
what lets `--state` replay logged changes on top of it after a restart.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

TIMEZONE = ZoneInfo("Europe/Berlin")


@dataclass(frozen=True)
class SeedUser:
    key: int
    name: str
    email: str
    role: str  # mite role; clockodo maps owner/admin -> owner, else worker


@dataclass(frozen=True)
class SeedCustomer:
    key: int
    name: str
    number: str
    # The client's name in Billomat: None where Billomat has no such client.
    billomat_name: str | None
    # Rates that differ from the service's own rate for this customer (service key -> rate).
    rates: dict[int, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class SeedProject:
    key: int
    name: str
    customer: int


@dataclass(frozen=True)
class SeedService:
    key: int
    name: str
    rate: Decimal
    billable: bool
    # Billomat article: (number, title) or None where the service has no article.
    article: tuple[str, str] | None


@dataclass(frozen=True)
class SeedLumpsumService:
    key: int
    name: str
    price: Decimal
    unit: str


@dataclass(frozen=True)
class SeedEntry:
    key: int
    date: dt.date
    start: dt.time  # local time in TIMEZONE
    minutes: int
    note: str
    user: int
    project: int
    customer: int
    service: int
    billable: bool
    billed: bool
    rate: Decimal
    kind: str = "time"  # "time" | "lumpsum_value" | "lumpsum_service"
    lumpsum: Decimal | None = None  # money for lumpsum_value, quantity for lumpsum_service
    lumpsum_service: int | None = None

    def local_start(self) -> dt.datetime:
        return dt.datetime.combine(self.date, self.start, TIMEZONE)

    def utc_start(self) -> dt.datetime:
        return self.local_start().astimezone(dt.UTC)


USERS = (
    SeedUser(1, "Anna Schmidt", "anna.schmidt@agentur-nordlicht.de", "owner"),
    SeedUser(2, "Jonas Weber", "jonas.weber@agentur-nordlicht.de", "admin"),
    SeedUser(3, "Leyla Demir", "leyla.demir@agentur-nordlicht.de", "coworker"),
)

CUSTOMERS = (
    SeedCustomer(1, "Müller & Söhne GmbH", "K-1001", "Müller & Söhne GmbH"),
    SeedCustomer(2, "Bäckerei Schäfer KG", "K-1002", "Bäckerei Schäfer KG"),
    SeedCustomer(3, "Grünwald Architekten PartG", "K-1003", "Grünwald Architekten PartG"),
    # Billomat spells it differently: name matching must suggest, not decide.
    SeedCustomer(4, "Höfer Logistik AG", "K-1004", "Hoefer Logistik AG"),
    SeedCustomer(
        5,
        "Stadtwerke Lüneburg GmbH",
        "K-1005",
        "Stadtwerke Lüneburg GmbH",
        {1: Decimal("88.00"), 2: Decimal("110.00")},
    ),
    SeedCustomer(6, "Kühne Medientechnik e.K.", "K-1006", "Kühne Medientechnik e.K."),
    SeedCustomer(7, "Weiß & Partner Steuerberatung", "K-1007", "Weiß & Partner Steuerberatung"),
    # Not in Billomat yet: the user has to create or pick the client.
    SeedCustomer(8, "Brückner Maschinenbau GmbH", "K-1008", None),
)

PROJECTS = (
    SeedProject(1, "Webshop-Relaunch", 1),
    SeedProject(2, "SEO-Betreuung", 1),
    SeedProject(3, "Filial-App", 2),
    SeedProject(4, "Projektportal", 3),
    SeedProject(5, "Tourenplanung", 4),
    SeedProject(6, "SAP-Schnittstelle", 4),
    SeedProject(7, "Kundenportal", 5),
    SeedProject(8, "Störungsmelder", 5),
    SeedProject(9, "Messe-Website", 6),
    SeedProject(10, "Mandantenportal", 7),
    SeedProject(11, "IoT-Dashboard", 8),
    SeedProject(12, "Wartungsvertrag", 8),
)

SERVICES = (
    SeedService(1, "Entwicklung", Decimal("95.00"), True, ("ART-101", "Softwareentwicklung")),
    SeedService(2, "Beratung", Decimal("120.00"), True, ("ART-102", "Beratung")),
    SeedService(
        3, "Konzeption & Design", Decimal("90.00"), True, ("ART-103", "Konzeption & Design")
    ),
    SeedService(4, "Projektmanagement", Decimal("85.00"), True, None),
    SeedService(5, "Support", Decimal("75.00"), True, ("ART-105", "Support & Wartung")),
    SeedService(6, "Interne Abstimmung", Decimal("0.00"), False, None),
)

LUMPSUM_SERVICES = (
    SeedLumpsumService(1, "Hosting-Paket M", Decimal("49.00"), "Monat"),
    SeedLumpsumService(2, "SSL-Zertifikat", Decimal("19.90"), "Stück"),
)

NOTES = {
    1: (
        "Warenkorb-Bugfix",
        "API-Anbindung Zahlungsdienst",
        "Code-Review",
        "Unit-Tests ergänzt",
        "Datenbankmigration",
        "Performance-Optimierung Suche",
        "Login über SSO",
        "Deployment vorbereitet",
        "Fehleranalyse Export",
        "Refactoring Formularvalidierung",
    ),
    2: (
        "Workshop Anforderungen",
        "Telefonat mit Frau Keller",
        "Abstimmung Roadmap",
        "Beratung Datenschutz (DSGVO)",
        "Angebotsbesprechung",
        "Vor-Ort-Termin",
    ),
    3: (
        "Wireframes Startseite",
        "Designabstimmung",
        "Styleguide überarbeitet",
        "Prototyp Checkout",
        "Icons & Grafiken",
    ),
    4: ("Sprint-Planung", "Statusbericht", "Jour fixe", "Ressourcenplanung", "Abnahme vorbereitet"),
    5: (
        "Ticket #4711: Passwort zurückgesetzt",
        "Support-Anfrage per E-Mail",
        "Backup geprüft",
        "Update eingespielt",
        "Störung analysiert",
        "",
    ),
    6: ("Teammeeting", "Interne Schulung", "Wissenstransfer", "Zeiterfassung nachgetragen"),
}

# Which services each project mostly uses.
PROJECT_SERVICES = {
    1: (1, 1, 1, 3, 4, 2),
    2: (2, 5, 1),
    3: (1, 1, 3, 4),
    4: (1, 3, 4, 5),
    5: (1, 1, 2, 4),
    6: (1, 1, 1, 2),
    7: (1, 1, 3, 4, 2),
    8: (1, 5, 5),
    9: (3, 3, 1),
    10: (1, 2, 5),
    11: (1, 1, 3, 2),
    12: (5, 5, 1),
}


@dataclass
class World:
    today: dt.date
    start: dt.date
    seed: int
    users: tuple[SeedUser, ...] = USERS
    customers: tuple[SeedCustomer, ...] = CUSTOMERS
    projects: tuple[SeedProject, ...] = PROJECTS
    services: tuple[SeedService, ...] = SERVICES
    lumpsum_services: tuple[SeedLumpsumService, ...] = LUMPSUM_SERVICES
    entries: list[SeedEntry] = field(default_factory=list)

    def customer(self, key: int) -> SeedCustomer:
        return self.customers[key - 1]

    def project(self, key: int) -> SeedProject:
        return self.projects[key - 1]

    def service(self, key: int) -> SeedService:
        return self.services[key - 1]

    def user(self, key: int) -> SeedUser:
        return self.users[key - 1]

    def rate(self, customer: int, service: int) -> Decimal:
        return self.customer(customer).rates.get(service, self.service(service).rate)


def first_of_month(day: dt.date, months_back: int = 0) -> dt.date:
    month = day.month - 1 - months_back
    return dt.date(day.year + month // 12, month % 12 + 1, 1)


def build_world(seed: int = 42, entries: int | None = None, today: dt.date | None = None) -> World:
    """Three months up to and including `today`: the month before last (mostly billed), last
    month (open, ready to bill) and this month so far. `entries` fixes the count of time entries
    (scaling to 100,000 and more); None gives a natural ~3.5 entries per person and working day."""
    today = today or dt.date.today()
    start = first_of_month(today, 2)
    world = World(today=today, start=start, seed=seed)
    rng = random.Random(seed)
    days = [start + dt.timedelta(d) for d in range((today - start).days + 1)]
    workdays = [d for d in days if d.weekday() < 5] or days
    billed_before = first_of_month(today, 1)

    plan: list[tuple[dt.date, int]] = []
    if entries is None:
        for day in workdays:
            for person in world.users:
                plan.extend((day, person.key) for _ in range(rng.randint(2, 5)))
    else:
        for i in range(entries):
            plan.append((workdays[i * len(workdays) // entries], rng.randint(1, len(world.users))))

    day_clock: dict[tuple[dt.date, int], int] = {}
    for key, (day, user) in enumerate(plan, start=1):
        project = world.project(rng.randint(1, len(world.projects)))
        service = rng.choice(PROJECT_SERVICES[project.key] + (6,) * (rng.random() < 0.06))
        minutes = rng.choice((15, 30, 45, 60, 60, 90, 120, 180, 240)) + rng.choice(
            (0, 0, 0, 5, 7, 10, -5)
        )
        minutes = max(5, minutes)
        # Working day from 08:00 local; an occasional night deployment at 00:30 local is
        # still on the previous day in UTC, which is what the clockodo date handling must get right.
        slot = day_clock.get((day, user), 8 * 60)
        if rng.random() < 0.01:
            start_minute = 30
        else:
            start_minute = slot % (23 * 60)
            day_clock[(day, user)] = slot + minutes + rng.choice((0, 0, 15, 30))
        svc = world.service(service)
        world.entries.append(
            SeedEntry(
                key=key,
                date=day,
                start=dt.time(start_minute // 60, start_minute % 60),
                minutes=minutes,
                note=rng.choice(NOTES[service]),
                user=user,
                project=project.key,
                customer=project.customer,
                service=service,
                billable=svc.billable,
                billed=svc.billable and day < billed_before and rng.random() < 0.92,
                rate=world.rate(project.customer, service) if svc.billable else Decimal("0.00"),
            )
        )
    _add_lumpsums(world, rng, len(world.entries))
    return world


def _add_lumpsums(world: World, rng: random.Random, last_key: int) -> None:
    """clockodo lump sums: a monthly hosting fee and the odd travel flat rate."""
    key = last_key
    month = world.start
    billed_before = first_of_month(world.today, 1)
    while month <= world.today:
        day = min(month + dt.timedelta(days=rng.randint(0, 20)), world.today)
        for customer, project in ((1, 1), (5, 7), (7, 10)):
            key += 1
            world.entries.append(
                SeedEntry(
                    key,
                    day,
                    dt.time(9, 0),
                    0,
                    "Hosting-Paket M",
                    1,
                    project,
                    customer,
                    5,
                    True,
                    month < billed_before,
                    Decimal("0.00"),
                    "lumpsum_service",
                    Decimal("1"),
                    1,
                )
            )
        key += 1
        world.entries.append(
            SeedEntry(
                key,
                day,
                dt.time(10, 0),
                0,
                "Anfahrtspauschale Vor-Ort-Termin",
                2,
                5,
                4,
                2,
                True,
                month < billed_before,
                Decimal("0.00"),
                "lumpsum_value",
                Decimal("45.00"),
            )
        )
        month = first_of_month(month + dt.timedelta(days=32))
