"""A realistic demo portfolio: two creditors, their customers and 24 months of history.

Why it exists: a credit manager judges software on figures that look like theirs, and the later
features (scores, predictions, dunning) need customers whose payment behaviour is *known* to learn
and test on. Every customer gets one behaviour (tag ``demo:<behaviour>``): always on time, a few
days late, a habitual late payer, recently late for the first time, disputes, a defaulter or a
partial payer. Disputed invoices stay open and carry ``[dispute]`` in their description until
the dispute model exists.

Why it is built this way: the whole portfolio is first *planned* in memory from one
``random.Random(seed)`` (same seed, same portfolio, byte for byte) and then written with a handful
of ``bulk_create`` calls. Open amounts are computed while planning, from the same events that
become the allocation rows, so the ledger's invariant (open = gross - allocations) holds by
construction; nothing is read back per row. Floats are only used to *draw* random sizes, which
are turned into integer cents at once; all money arithmetic is on integers.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from enum import StrEnum

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from schwifty import IBAN

from vorder.common.audit import audit_bulk
from vorder.common.models import AuditEntry
from vorder.common.roles import COLLECTOR, CREDIT_MANAGER, READ_ONLY
from vorder.domain.references import generate as reference_generate
from vorder.domain.settlement import settle_in_order
from vorder.ledger.models import (
    Allocation,
    Channel,
    Contact,
    CreditNote,
    Creditor,
    Customer,
    Invoice,
    InvoiceInstalment,
    Payment,
)

DISPUTE_MARKER = "[dispute]"
BEHAVIOUR_TAG = "demo:"
HISTORY_DAYS = 730
BATCH = 2000

DEMO_USERS: tuple[tuple[str, str, str], ...] = (
    # username (= password), role group, what they may do
    ("demo", CREDIT_MANAGER, "credit manager, superuser (admin)"),
    ("collector", COLLECTOR, "collector"),
    ("viewer", READ_ONLY, "read-only"),
)


class Behaviour(StrEnum):
    ON_TIME = "on_time"
    FEW_DAYS_LATE = "few_days_late"
    HABITUAL_LATE = "habitual_late"
    RECENTLY_LATE = "recently_late"
    DISPUTES = "disputes"
    DEFAULTER = "defaulter"
    PARTIAL = "partial_payer"


# Share of customers per behaviour: most pay, a tail does not.
_BEHAVIOUR_WEIGHTS: tuple[tuple[Behaviour, int], ...] = (
    (Behaviour.ON_TIME, 48),
    (Behaviour.FEW_DAYS_LATE, 24),
    (Behaviour.HABITUAL_LATE, 8),
    (Behaviour.RECENTLY_LATE, 6),
    (Behaviour.DISPUTES, 5),
    (Behaviour.DEFAULTER, 3),
    (Behaviour.PARTIAL, 6),
)


class DemoDataExists(RuntimeError):
    """The demo creditors are already there; numbers are unique per creditor."""


@dataclass(frozen=True)
class DemoSummary:
    skipped: bool
    creditors: list[str] = field(default_factory=list)
    customers: int = 0
    contacts: int = 0
    invoices: int = 0
    instalments: int = 0
    credit_notes: int = 0
    payments: int = 0
    allocations: int = 0
    users_created: list[str] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)  # (username, role description)


# -- the two creditors ------------------------------------------------------------------------
@dataclass(frozen=True)
class _CreditorSpec:
    code: str
    name: str
    country: str
    address: str
    postal_code: str
    city: str
    bank_code: str
    account_code: str
    bic: str
    vat_number: str
    coc_number: str
    email: str
    phone: str
    website: str
    reference_style: str
    languages: tuple[str, ...]
    share: int  # percent of the customers
    home_share: int  # percent of its customers in its own country
    b2c_share: int
    b2c_vat: tuple[int, int]  # (percent of B2C invoices at the reduced rate, reduced rate)
    b2b_vat: tuple[int, int]
    b2c_net: tuple[float, float]  # lognormal mu, sigma of a B2C invoice's net amount in euros
    b2b_net: tuple[float, float]
    b2c_term: int
    b2b_terms: tuple[int, ...]


_CREDITORS: tuple[_CreditorSpec, ...] = (
    _CreditorSpec(
        code="noordzee",
        name="Noordzee Groothandel B.V.",
        country="NL",
        address="Havenstraat 112",
        postal_code="1971 CA",
        city="IJmuiden",
        bank_code="RABO",
        account_code="0332150456",
        bic="RABONL2U",
        vat_number="NL859164329B01",
        coc_number="34287715",
        email="debiteuren@noordzeegroothandel.nl",
        phone="+31 255 512 300",
        website="https://www.noordzeegroothandel.nl",
        reference_style="nl",
        languages=("nl", "en", "de"),
        share=60,
        home_share=85,
        b2c_share=45,
        b2c_vat=(70, 9),  # food for consumers: mostly 9%
        b2b_vat=(45, 9),  # horeca and shops buy food (9%) and non-food (21%)
        b2c_net=(4.3, 0.8),  # about EUR 75
        b2b_net=(6.9, 0.9),  # about EUR 1,000
        b2c_term=14,
        b2b_terms=(30, 30, 30, 14, 45, 60),
    ),
    _CreditorSpec(
        code="schelde",
        name="Schelde Techniek BV",
        country="BE",
        address="Noorderlaan 133",
        postal_code="2030",
        city="Antwerpen",
        bank_code="735",
        account_code="0199532",
        bic="KREDBEBB",
        vat_number="BE0476925442",
        coc_number="0476.925.442",
        email="boekhouding@scheldetechniek.be",
        phone="+32 3 543 21 00",
        website="https://www.scheldetechniek.be",
        reference_style="ogm",
        languages=("nl", "fr", "en"),
        share=40,
        home_share=75,
        b2c_share=35,
        b2c_vat=(60, 6),  # renovation of homes older than ten years: 6%
        b2b_vat=(0, 21),
        b2c_net=(6.0, 0.8),  # about EUR 400: repairs, maintenance, a new boiler
        b2b_net=(7.6, 0.9),  # about EUR 2,000
        b2c_term=15,
        b2b_terms=(30, 30, 30, 30, 45, 60),
    ),
)

# -- names and places -------------------------------------------------------------------------
_FIRST = {
    "nl": [
        "Jan",
        "Pieter",
        "Sanne",
        "Lotte",
        "Daan",
        "Emma",
        "Bram",
        "Anouk",
        "Kees",
        "Femke",
        "Ruud",
        "Ingrid",
        "Thijs",
        "Marloes",
        "Henk",
        "Esther",
        "Joost",
        "Noor",
        "Wim",
        "Eva",
        "Koen",
        "Lieve",
        "Stijn",
        "Griet",
        "Wout",
        "Annelies",
        "Bart",
        "Els",
    ],
    "fr": [
        "Jean",
        "Marie",
        "Luc",
        "Sophie",
        "Pierre",
        "Isabelle",
        "Michel",
        "Nathalie",
        "Philippe",
        "Catherine",
        "Olivier",
        "Amélie",
        "François",
        "Chloé",
        "Benoît",
        "Élodie",
    ],
    "de": ["Jürgen", "Anja", "Klaus", "Monika", "Stefan", "Sabine", "Thomas", "Petra", "Lukas"],
    "en": ["James", "Emily", "Oliver", "Sarah", "Daniel", "Laura", "Mark", "Helen", "Tom"],
}
_LAST = {
    "NL": [
        "de Vries",
        "Jansen",
        "van den Berg",
        "Bakker",
        "Visser",
        "Smit",
        "Meijer",
        "de Boer",
        "Mulder",
        "de Groot",
        "Bos",
        "Vos",
        "Peters",
        "Hendriks",
        "van Leeuwen",
        "Dekker",
        "Brouwer",
        "de Wit",
        "Dijkstra",
        "Smits",
        "de Graaf",
        "van der Meer",
        "Kok",
        "Verhoeven",
        "Koster",
        "Prins",
        "Huisman",
        "Post",
        "Kuipers",
        "van Dijk",
        "Willemsen",
        "Schouten",
    ],
    "nl_BE": [
        "Peeters",
        "Janssens",
        "Maes",
        "Jacobs",
        "Mertens",
        "Willems",
        "Claes",
        "Goossens",
        "Wouters",
        "De Smet",
        "Vermeulen",
        "Van Damme",
        "Hermans",
        "Pauwels",
        "Aerts",
        "De Clercq",
        "Verstraete",
        "Van de Velde",
        "Desmet",
        "Lemmens",
    ],
    "fr": [
        "Dubois",
        "Lambert",
        "Dupont",
        "Martin",
        "Simon",
        "Laurent",
        "Leclercq",
        "Lejeune",
        "Renard",
        "Denis",
        "Collard",
        "Fontaine",
        "Delvaux",
        "Gilson",
        "Hubert",
        "Mathieu",
    ],
    "de": ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Becker", "Hoffmann", "Krings"],
    "en": ["Smith", "Brown", "Taylor", "Wilson", "Walker", "Wright", "Evans", "Clarke"],
}
# (segment, trade words per language); the trade names the company.
_SEGMENTS: dict[str, tuple[tuple[str, dict[str, list[str]]], ...]] = {
    "noordzee": (
        (
            "horeca",
            {
                "nl": ["Eetcafé", "Restaurant", "Brasserie", "Hotel", "Strandpaviljoen"],
                "fr": ["Brasserie", "Restaurant"],
                "de": ["Gasthof", "Restaurant"],
                "en": ["Bistro", "Restaurant"],
            },
        ),
        (
            "retail",
            {
                "nl": ["Supermarkt", "Delicatessen", "Viswinkel", "Slagerij", "Toko"],
                "fr": ["Épicerie", "Boucherie"],
                "de": ["Feinkost", "Markt"],
                "en": ["Deli", "Food Store"],
            },
        ),
        (
            "catering",
            {
                "nl": ["Catering", "Partyservice", "Bedrijfsrestaurants"],
                "fr": ["Traiteur"],
                "de": ["Catering"],
                "en": ["Catering"],
            },
        ),
        (
            "zorg",
            {
                "nl": ["Zorgcentrum", "Woonzorg", "Kinderopvang"],
                "fr": ["Maison de repos"],
                "de": ["Pflegeheim"],
                "en": ["Care Home"],
            },
        ),
    ),
    "schelde": (
        (
            "bouw",
            {
                "nl": ["Bouw", "Renovatie", "Aannemingen", "Dakwerken"],
                "fr": ["Construction", "Rénovation", "Toitures"],
                "de": ["Bau"],
                "en": ["Construction"],
            },
        ),
        (
            "industrie",
            {
                "nl": ["Metaalwerken", "Machinebouw", "Logistiek", "Transport"],
                "fr": ["Métallurgie", "Logistique", "Transports"],
                "de": ["Metallbau"],
                "en": ["Engineering", "Logistics"],
            },
        ),
        (
            "vastgoed",
            {
                "nl": ["Vastgoed", "Syndicus", "Immo"],
                "fr": ["Immo", "Syndic"],
                "de": ["Immobilien"],
                "en": ["Property"],
            },
        ),
        (
            "zorg",
            {
                "nl": ["Woonzorgcentrum", "Ziekenhuis", "Apotheek"],
                "fr": ["Maison de repos", "Pharmacie"],
                "de": ["Apotheke"],
                "en": ["Clinic"],
            },
        ),
    ),
}
_B2C_SEGMENT = {"noordzee": "webshop", "schelde": "particulier"}
_LEGAL_FORM = {"NL": ["B.V.", "B.V.", "B.V.", "V.O.F."], "BE": ["BV", "BV", "NV", "SRL", "BVBA"]}
_FR_LEGAL_FORM = ["SRL", "SA", "SRL"]

# (city, first postal code, last postal code, languages spoken there)
_CITIES = {
    "NL": [
        ("Amsterdam", 1011, 1109),
        ("Rotterdam", 3011, 3089),
        ("Den Haag", 2491, 2599),
        ("Utrecht", 3511, 3585),
        ("Eindhoven", 5611, 5658),
        ("Groningen", 9711, 9747),
        ("Haarlem", 2011, 2037),
        ("IJmuiden", 1971, 1976),
        ("Alkmaar", 1811, 1827),
        ("Zwolle", 8011, 8048),
        ("Nijmegen", 6511, 6546),
        ("Breda", 4811, 4839),
        ("Maastricht", 6211, 6229),
        ("Venlo", 5911, 5928),
        ("Enschede", 7511, 7548),
    ],
    "nl_BE": [
        ("Antwerpen", 2000, 2060),
        ("Gent", 9000, 9052),
        ("Leuven", 3000, 3012),
        ("Brugge", 8000, 8200),
        ("Hasselt", 3500, 3512),
        ("Mechelen", 2800, 2812),
        ("Kortrijk", 8500, 8511),
        ("Aalst", 9300, 9320),
        ("Brussel", 1000, 1000),
    ],
    "fr_BE": [
        ("Liège", 4000, 4032),
        ("Namur", 5000, 5101),
        ("Charleroi", 6000, 6061),
        ("Mons", 7000, 7034),
        ("Wavre", 1300, 1301),
        ("Bruxelles", 1000, 1000),
    ],
    "de_BE": [("Eupen", 4700, 4701), ("Sankt Vith", 4780, 4784)],
}
_STREETS = {
    "NL": [
        "Kerkstraat",
        "Dorpsstraat",
        "Stationsweg",
        "Molenweg",
        "Hoofdstraat",
        "Julianalaan",
        "Nieuwstraat",
        "Marktplein",
        "Havenweg",
        "Kanaalweg",
        "Beukenlaan",
        "Industrieweg",
    ],
    "nl_BE": [
        "Kerkstraat",
        "Stationsstraat",
        "Nijverheidsstraat",
        "Molenstraat",
        "Kapelstraat",
        "Industrielaan",
        "Grote Markt",
        "Steenweg op Gent",
        "Lindenlaan",
    ],
    "fr_BE": [
        "Rue de la Station",
        "Rue de l'Église",
        "Chaussée de Bruxelles",
        "Rue du Moulin",
        "Avenue des Tilleuls",
        "Rue des Champs",
        "Place communale",
    ],
    "de_BE": ["Hauptstraße", "Kirchstraße", "Bahnhofstraße", "Aachener Straße"],
}
_BANKS = {
    "NL": ["ABNA", "RABO", "INGB", "SNSB", "TRIO", "KNAB", "BUNQ", "ASNB"],
    "BE": ["001", "068", "363", "735", "096", "143"],
}
_MAIL_HOSTS = {
    "NL": ["gmail.com", "ziggo.nl", "kpnmail.nl", "hotmail.com", "outlook.com"],
    "BE": ["gmail.com", "telenet.be", "skynet.be", "proximus.be", "hotmail.com"],
}
_DISPUTE_REASONS = [
    "levering onvolledig ontvangen",
    "prijs wijkt af van offerte",
    "goederen beschadigd geleverd",
    "factuur dubbel ontvangen",
    "werk niet naar tevredenheid uitgevoerd",
]
_CREDIT_REASONS = [
    "retour goederen",
    "prijscorrectie",
    "kwaliteitsklacht",
    "korting achteraf",
    "foutief gefactureerd",
]


# -- public entry points ----------------------------------------------------------------------
def demo_data_load(
    *, customers: int, invoices: int, seed: int, as_of: date, if_empty: bool = False
) -> DemoSummary:
    """Load the demo portfolio and demo users; with ``if_empty`` only into an empty ledger.

    ``if_empty`` is what ``make run`` uses: a database with any creditor is someone's real (or
    earlier demo) data and is left alone, demo users included.
    """
    if if_empty and Creditor.objects.exists():
        return DemoSummary(skipped=True, logins=_existing_logins())
    with transaction.atomic():
        users = demo_users_ensure()
        summary = demo_portfolio_create(
            customers=customers, invoices=invoices, seed=seed, as_of=as_of
        )
    return replace(summary, users_created=users, logins=_existing_logins())


def demo_users_ensure() -> list[str]:
    """Create the demo staff users that are missing (password = user name); return their names."""
    user_model = get_user_model()
    existing = set(
        user_model.objects.filter(username__in=[u for u, _, _ in DEMO_USERS]).values_list(
            "username", flat=True
        )
    )
    created: list[str] = []
    for username, role, _ in DEMO_USERS:
        if username in existing:
            continue
        superuser = role == CREDIT_MANAGER
        user = user_model(
            username=username,
            email=f"{username}@vorder.example",
            is_staff=True,
            is_superuser=superuser,
        )
        user.set_password(username)
        user.save()
        group, _ = Group.objects.get_or_create(name=role)
        user.groups.add(group)
        created.append(username)
    return created


@transaction.atomic
def demo_portfolio_create(*, customers: int, invoices: int, seed: int, as_of: date) -> DemoSummary:
    """Plan the portfolio and write it in bulk. Refuses when the demo creditors exist."""
    codes = [spec.code for spec in _CREDITORS]
    taken = list(Creditor.objects.filter(code__in=codes).values_list("code", flat=True))
    if taken:
        raise DemoDataExists(
            f"demo creditor(s) {', '.join(sorted(taken))} exist already; use an empty database"
        )
    plan = demo_portfolio_plan(customers=customers, invoices=invoices, seed=seed, as_of=as_of)
    plan.write()
    audit_bulk(
        AuditEntry.build(
            creditor_id=c.pk,
            obj=c,
            action=AuditEntry.Action.CREATE,
            changes={"demo data": [None, f"seed {seed}, as of {as_of.isoformat()}"]},
        )
        for c in plan.creditors
    )
    return plan.summary()


def demo_portfolio_plan(*, customers: int, invoices: int, seed: int, as_of: date) -> DemoPlan:
    """The whole portfolio as unsaved model instances: deterministic for (arguments, seed)."""
    if customers < len(_CREDITORS) * 2:
        raise ValueError(f"the demo needs at least {len(_CREDITORS) * 2} customers")
    if invoices < customers:
        raise ValueError("the demo needs at least one invoice per customer")
    return _Planner(seed=seed, as_of=as_of).plan(customers=customers, invoices=invoices)


# -- the plan ---------------------------------------------------------------------------------
@dataclass
class DemoPlan:
    creditors: list[Creditor] = field(default_factory=list)
    customers: list[Customer] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    invoices: list[Invoice] = field(default_factory=list)
    instalments: list[InvoiceInstalment] = field(default_factory=list)
    credit_notes: list[CreditNote] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    allocations: list[Allocation] = field(default_factory=list)
    behaviours: dict[str, Behaviour] = field(default_factory=dict)  # "creditor/number" -> behaviour

    def write(self) -> None:
        """Parents before children; bulk_create sets the primary keys the children point to."""
        Creditor.objects.bulk_create(self.creditors)
        Customer.objects.bulk_create(self.customers, batch_size=BATCH)
        Contact.objects.bulk_create(self.contacts, batch_size=BATCH)
        Invoice.objects.bulk_create(self.invoices, batch_size=BATCH)
        InvoiceInstalment.objects.bulk_create(self.instalments, batch_size=BATCH)
        CreditNote.objects.bulk_create(self.credit_notes, batch_size=BATCH)
        Payment.objects.bulk_create(self.payments, batch_size=BATCH)
        Allocation.objects.bulk_create(self.allocations, batch_size=BATCH)

    def summary(self) -> DemoSummary:
        return DemoSummary(
            skipped=False,
            creditors=[c.code for c in self.creditors],
            customers=len(self.customers),
            contacts=len(self.contacts),
            invoices=len(self.invoices),
            instalments=len(self.instalments),
            credit_notes=len(self.credit_notes),
            payments=len(self.payments),
            allocations=len(self.allocations),
        )


@dataclass
class _Event:
    """Money settling (part of) an invoice on a day: becomes a payment or is a credit note."""

    day: date
    invoice: Invoice
    amount_minor: int


class _Planner:
    def __init__(self, *, seed: int, as_of: date) -> None:
        self.rng = random.Random(seed)
        self.as_of = as_of
        self.start = as_of - timedelta(days=HISTORY_DAYS)
        self.out = DemoPlan()
        self.parts: dict[int, list[InvoiceInstalment]] = {}  # id(invoice) -> its schedule
        self.stops: dict[int, date] = {}  # id(customer) -> the day a defaulter stopped paying

    # -- top level ----------------------------------------------------------------------------
    def plan(self, *, customers: int, invoices: int) -> DemoPlan:
        counts = _split(customers, [spec.share for spec in _CREDITORS])
        invoice_counts = _split(invoices, [spec.share for spec in _CREDITORS])
        for spec, n_customers, n_invoices in zip(_CREDITORS, counts, invoice_counts, strict=True):
            self._creditor(spec, n_customers, n_invoices)
        return self.out

    def _creditor(self, spec: _CreditorSpec, n_customers: int, n_invoices: int) -> None:
        creditor = Creditor(
            code=spec.code,
            name=spec.name,
            country=spec.country,
            address_line1=spec.address,
            postal_code=spec.postal_code,
            city=spec.city,
            iban=str(
                IBAN.generate(
                    spec.country, bank_code=spec.bank_code, account_code=spec.account_code
                )
            ),
            bic=spec.bic,
            vat_number=spec.vat_number,
            coc_number=spec.coc_number,
            email=spec.email,
            phone=spec.phone,
            website=spec.website,
            letterhead=f"{spec.name}\n{spec.address}\n{spec.postal_code} {spec.city}",
            currency="EUR",
            default_payment_term_days=30,
            languages=list(spec.languages),
            reference_style=spec.reference_style,
            time_zone="Europe/Amsterdam" if spec.country == "NL" else "Europe/Brussels",
        )
        self.out.creditors.append(creditor)
        people = [self._customer(creditor, spec, i) for i in range(n_customers)]
        weights = [self._invoice_weight(c) for c, _ in people]
        per_customer = _split(n_invoices, weights, minimum=1)
        invoices: list[tuple[Invoice, Customer, Behaviour]] = []
        for (customer, behaviour), count in zip(people, per_customer, strict=True):
            for invoice in self._invoices(creditor, spec, customer, behaviour, count):
                invoices.append((invoice, customer, behaviour))
        self._number(creditor, spec, [inv for inv, _, _ in invoices])
        events_by_customer: dict[int, list[_Event]] = defaultdict(list)
        index = {id(c): i for i, (c, _) in enumerate(people)}
        for invoice, customer, behaviour in invoices:
            events_by_customer[index[id(customer)]].extend(
                self._settle(creditor, spec, customer, behaviour, invoice)
            )
        sequence = [0]
        for i, (customer, behaviour) in enumerate(people):
            self._payments(creditor, customer, behaviour, events_by_customer.get(i, []), sequence)
        self._unidentified_payments(creditor, max(1, n_customers // 100), sequence)
        self._close(invoices)

    # -- customers ----------------------------------------------------------------------------
    def _customer(
        self, creditor: Creditor, spec: _CreditorSpec, i: int
    ) -> tuple[Customer, Behaviour]:
        rng = self.rng
        home = rng.randrange(100) < spec.home_share
        country = spec.country if home else ("BE" if spec.country == "NL" else "NL")
        language = _pick_language(rng, country)
        b2c = rng.randrange(100) < spec.b2c_share
        region = (
            "NL"
            if country == "NL"
            else f"{'fr' if language == 'fr' else 'de' if language == 'de' else 'nl'}_BE"
        )
        city, low, high = rng.choice(_CITIES[region])
        postal = rng.randint(low, high)
        postal_code = f"{postal} {_nl_postcode_letters(rng)}" if country == "NL" else str(postal)
        street = f"{rng.choice(_STREETS[region])} {rng.randint(1, 240)}"
        if country == "NL" and rng.random() < 0.1:
            street += rng.choice("abc")
        first, last = self._person(country, language)
        behaviour = _weighted(rng, _BEHAVIOUR_WEIGHTS)
        tags = [f"{BEHAVIOUR_TAG}{behaviour}"]
        iban = self._iban(country)
        number = f"D{10001 + i}"
        if b2c:
            name = f"{first} {last}"
            host = rng.choice(_MAIL_HOSTS[country])
            email = f"{_slug(first)}.{_slug(last).replace('-', '')}{rng.randint(1, 99)}@{host}"
            customer = Customer(
                creditor=creditor,
                number=number,
                name=name,
                kind=Customer.Kind.B2C,
                address_line1=street,
                postal_code=postal_code,
                city=city,
                country=country,
                email=email,
                phone=self._phone(country, mobile=True),
                language=language,
                preferred_channel=_weighted(
                    rng, ((Channel.EMAIL, 70), (Channel.LETTER, 15), (Channel.SMS, 15))
                ),
                payment_term_days=spec.b2c_term,
                segment=_B2C_SEGMENT[spec.code],
                tags=tags,
                iban=iban,
            )
        else:
            segment, trades = rng.choice(_SEGMENTS[spec.code])
            trade = rng.choice(trades.get(language, trades["nl"]))
            form = rng.choice(_FR_LEGAL_FORM if language == "fr" else _LEGAL_FORM[country])
            name = rng.choice(
                [f"{trade} {last} {form}", f"{last} {trade} {form}", f"{trade} {city} {form}"]
            )
            domain = f"{_slug(name.rsplit(' ', 1)[0]).replace('-', '')}.{country.lower()}"
            coc, vat = _company_numbers(rng, country)
            term = rng.choice(spec.b2b_terms)
            if rng.random() < 0.15:
                tags.append("key account")
            if rng.random() < 0.1:
                tags.append("direct debit")
            customer = Customer(
                creditor=creditor,
                number=number,
                name=name,
                kind=Customer.Kind.B2B,
                coc_number=coc,
                vat_number=vat,
                address_line1=street,
                postal_code=postal_code,
                city=city,
                country=country,
                email=f"{rng.choice(['facturen', 'crediteuren', 'administratie', 'finance'])}@{domain}",
                phone=self._phone(country, mobile=False),
                language=language,
                preferred_channel=_weighted(
                    rng, ((Channel.EMAIL, 80), (Channel.LETTER, 8), (Channel.PHONE, 12))
                ),
                payment_term_days=None if term == 30 else term,
                credit_limit_minor=rng.choice([5_000, 10_000, 25_000, 50_000, 100_000]) * 100,
                segment=segment,
                tags=tags,
                iban=iban,
            )
            self._contacts(customer, country, language, domain)
        if behaviour is Behaviour.DISPUTES and rng.random() < 0.3:
            customer.on_hold = True
            customer.on_hold_reason = "dispute under investigation"
        self.out.customers.append(customer)
        self.out.behaviours[f"{creditor.code}/{number}"] = behaviour
        return customer, behaviour

    def _contacts(self, customer: Customer, country: str, language: str, domain: str) -> None:
        rng = self.rng
        roles = [
            Contact.Role.ACCOUNTS_PAYABLE,
            Contact.Role.FINANCE,
            Contact.Role.OWNER,
            Contact.Role.PURCHASING,
        ]
        for n in range(rng.choice([1, 1, 2, 2, 3])):
            first, last = self._person(country, language)
            self.out.contacts.append(
                Contact(
                    customer=customer,
                    name=f"{first} {last}",
                    role=roles[n] if n else rng.choice(roles[:2]),
                    email=f"{_slug(first)}.{_slug(last).replace('-', '')}@{domain}",
                    phone=self._phone(country, mobile=rng.random() < 0.6),
                    preferred_channel=rng.choice(["", "", Channel.EMAIL, Channel.PHONE]),
                    language=language if rng.random() < 0.3 else "",
                    is_active=rng.random() > 0.1,
                )
            )

    def _person(self, country: str, language: str) -> tuple[str, str]:
        key = {"fr": "fr", "de": "de", "en": "en"}.get(
            language, "NL" if country == "NL" else "nl_BE"
        )
        first = self.rng.choice(_FIRST.get(language, _FIRST["nl"]))
        return first, self.rng.choice(_LAST[key])

    def _iban(self, country: str) -> str:
        rng = self.rng
        bank = rng.choice(_BANKS[country])
        digits = 10 if country == "NL" else 7
        account = "".join(str(rng.randrange(10)) for _ in range(digits))
        return str(IBAN.generate(country, bank_code=bank, account_code=account))

    def _phone(self, country: str, *, mobile: bool) -> str:
        rng = self.rng
        if country == "NL":
            if mobile:
                return f"+31 6 {rng.randint(10000000, 99999999)}"
            return f"+31 {rng.choice(['20', '10', '70', '30', '40', '50', '255'])} {rng.randint(1000000, 9999999)}"
        if mobile:
            return f"+32 {rng.choice(['470', '475', '486', '495'])} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
        return f"+32 {rng.choice(['2', '3', '9', '16', '4'])} {rng.randint(100, 999)} {rng.randint(10, 99)} {rng.randint(10, 99)}"

    def _invoice_weight(self, customer: Customer) -> float:
        """Businesses buy often, consumers now and then; a few big accounts buy a lot."""
        if customer.kind == Customer.Kind.B2C:
            return self.rng.uniform(0.5, 1.5)
        return self.rng.lognormvariate(1.3, 0.7)

    # -- invoices -----------------------------------------------------------------------------
    def _invoices(
        self,
        creditor: Creditor,
        spec: _CreditorSpec,
        customer: Customer,
        behaviour: Behaviour,
        count: int,
    ) -> list[Invoice]:
        rng = self.rng
        b2c = customer.kind == Customer.Kind.B2C
        term = customer.payment_term_days or creditor.default_payment_term_days
        first_day = (
            self.start
            if rng.random() < 0.7
            else self.start + timedelta(days=rng.randrange(HISTORY_DAYS - 30))
        )
        span = (self.as_of - first_day).days
        days = sorted(
            _weekday(first_day + timedelta(days=rng.randrange(span + 1))) for _ in range(count)
        )
        days = [min(d, self.as_of) for d in days]
        if behaviour is Behaviour.RECENTLY_LATE:
            # The one slip: the latest invoice is overdue by a few weeks, the rest was on time.
            days[-1] = self.as_of - timedelta(days=term + rng.randint(5, 35))
            days.sort()
        mu, sigma = spec.b2c_net if b2c else spec.b2b_net
        size = rng.lognormvariate(0, 0.4)  # this customer's usual order size
        reduced_share, reduced_rate = spec.b2c_vat if b2c else spec.b2b_vat
        reduced_customer = rng.randrange(100) < reduced_share
        result: list[Invoice] = []
        for day in days:
            net = max(500, int(rng.lognormvariate(mu, sigma) * size * 100))
            rate = reduced_rate if reduced_customer and rng.random() < 0.85 else 21
            vat = (net * rate + 50) // 100
            gross = net + vat
            invoice = Invoice(
                creditor=creditor,
                customer=customer,
                issue_date=day,
                due_date=day + timedelta(days=term),
                currency="EUR",
                net_minor=net,
                vat_minor=vat,
                gross_minor=gross,
                open_minor=gross,
                status=Invoice.Status.OPEN,
                description=_description(rng, spec.code, b2c, rate),
                order_reference=""
                if b2c or rng.random() < 0.5
                else f"PO-{rng.randint(10000, 99999)}",
                source="demo",
            )
            if gross >= 60000 and rng.random() < (0.15 if b2c else 0.02):
                self._schedule(invoice, rng.choice([3, 4, 6]))
            result.append(invoice)
        if behaviour is Behaviour.DISPUTES:
            candidates = [
                inv
                for inv in result
                if self.as_of - timedelta(days=150)
                <= inv.due_date
                <= self.as_of - timedelta(days=10)
                and not inv.has_instalments
            ] or [inv for inv in result if not inv.has_instalments][-1:]
            for invoice in rng.sample(candidates, min(len(candidates), rng.choice([1, 1, 2]))):
                invoice.description = f"{DISPUTE_MARKER} {rng.choice(_DISPUTE_REASONS)}"
        return result

    def _schedule(self, invoice: Invoice, parts: int) -> None:
        """Split the invoice into monthly parts; the invoice is due when the last part is."""
        gross = invoice.gross_minor
        base, rest = divmod(gross, parts)
        invoice.has_instalments = True
        invoice.description = f"{invoice.description} (in {parts} termijnen)"
        schedule = [
            InvoiceInstalment(
                invoice=invoice,
                sequence=seq + 1,
                due_date=invoice.due_date + timedelta(days=30 * seq),
                amount_minor=base + (rest if seq == 0 else 0),
                open_minor=base + (rest if seq == 0 else 0),
            )
            for seq in range(parts)
        ]
        self.parts[id(invoice)] = schedule
        self.out.instalments.extend(schedule)
        invoice.due_date = invoice.due_date + timedelta(days=30 * (parts - 1))

    def _number(self, creditor: Creditor, spec: _CreditorSpec, invoices: list[Invoice]) -> None:
        """Number in date order per year (2025000001, ...), then the creditor's reference style."""
        invoices.sort(key=lambda inv: (inv.issue_date, inv.customer.number))
        per_year: dict[int, int] = defaultdict(int)
        for invoice in invoices:
            per_year[invoice.issue_date.year] += 1
            invoice.number = f"{invoice.issue_date.year}{per_year[invoice.issue_date.year]:06d}"
            invoice.payment_reference = reference_generate(spec.reference_style, invoice.number)
        self.out.invoices.extend(invoices)

    # -- behaviour: when is what paid ---------------------------------------------------------
    def _settle(
        self,
        creditor: Creditor,
        spec: _CreditorSpec,
        customer: Customer,
        behaviour: Behaviour,
        invoice: Invoice,
    ) -> list[_Event]:
        """The payments this customer makes on the invoice (some after as_of: not yet made)."""
        rng = self.rng
        remaining = invoice.gross_minor
        credit_chance = 0.04 if customer.kind == Customer.Kind.B2B else 0.015
        if rng.random() < credit_chance:
            remaining -= self._credit_note(creditor, customer, invoice)
        if remaining == 0 or invoice.description.startswith(DISPUTE_MARKER):
            return []
        if invoice.has_instalments:
            parts = self.parts[id(invoice)]
            amounts = settle_in_order(
                [p.amount_minor for p in parts], invoice.gross_minor - remaining
            )
            return [
                _Event(self._pay_day(behaviour, invoice, p.due_date), invoice, amount)
                for p, amount in zip(parts, amounts, strict=True)
                if amount
            ]
        if behaviour is Behaviour.PARTIAL and rng.random() < 0.45:
            first = remaining * rng.randint(30, 70) // 100
            events = [_Event(invoice.due_date + timedelta(days=rng.randint(0, 25)), invoice, first)]
            if rng.random() < 0.7:
                later = invoice.due_date + timedelta(days=rng.randint(30, 120))
                events.append(_Event(later, invoice, remaining - first))
            return events
        return [_Event(self._pay_day(behaviour, invoice, invoice.due_date), invoice, remaining)]

    def _pay_day(self, behaviour: Behaviour, invoice: Invoice, due: date) -> date:
        rng = self.rng
        on_time = max(
            invoice.issue_date + timedelta(days=1), due - timedelta(days=rng.randint(0, 10))
        )
        if invoice.customer.kind == Customer.Kind.B2C and rng.random() < 0.4:
            on_time = invoice.issue_date + timedelta(days=rng.randint(0, 5))  # paid by iDEAL link
        if behaviour is Behaviour.ON_TIME:
            return on_time
        if behaviour is Behaviour.FEW_DAYS_LATE or behaviour is Behaviour.DISPUTES:
            return on_time if rng.random() < 0.25 else due + timedelta(days=rng.randint(1, 12))
        if behaviour is Behaviour.HABITUAL_LATE:
            return due + timedelta(days=int(rng.triangular(7, 80, 30)))
        if behaviour is Behaviour.RECENTLY_LATE:
            if due < self.as_of and due >= self.as_of - timedelta(days=45):
                return self.as_of + timedelta(days=365)  # the first slip: not paid yet
            return on_time
        if behaviour is Behaviour.DEFAULTER:
            stop = self._defaulter_stop(invoice.customer)
            day = due + timedelta(days=int(rng.triangular(15, 70, 30)))
            return day if day < stop else self.as_of + timedelta(days=3650)  # never paid
        # partial payers who pay in one go do it late
        return due + timedelta(days=rng.randint(5, 45))

    def _defaulter_stop(self, customer: Customer) -> date:
        """The day a defaulter stopped paying: 100 to 330 days ago, fixed per customer."""
        key = id(customer)
        if key not in self.stops:
            self.stops[key] = self.as_of - timedelta(days=self.rng.randint(100, 330))
        return self.stops[key]

    def _credit_note(self, creditor: Creditor, customer: Customer, invoice: Invoice) -> int:
        """A credit note on (part of) the invoice; returns the amount allocated to it."""
        rng = self.rng
        day = _weekday(invoice.issue_date + timedelta(days=rng.randint(2, 25)))
        if day > self.as_of:
            return 0
        share = 100 if rng.random() < 0.2 else rng.randint(5, 40)
        net = max(1, invoice.net_minor * share // 100)
        vat = invoice.vat_minor * share // 100
        gross = net + vat
        allocated = gross if rng.random() > 0.1 else 0  # a few stay open: credit on account
        note = CreditNote(
            creditor=creditor,
            customer=customer,
            number="",  # numbered per creditor in _close
            issue_date=day,
            currency="EUR",
            net_minor=net,
            vat_minor=vat,
            gross_minor=gross,
            open_minor=gross - allocated,
            original_invoice=invoice,
            status=CreditNote.Status.OPEN if allocated < gross else CreditNote.Status.SETTLED,
            description=rng.choice(_CREDIT_REASONS),
            source="demo",
        )
        self.out.credit_notes.append(note)
        if allocated:
            self.out.allocations.append(
                Allocation(
                    creditor=creditor,
                    invoice=invoice,
                    credit_note=note,
                    amount_minor=allocated,
                    currency="EUR",
                    date=day,
                )
            )
            invoice.open_minor -= allocated
        return allocated

    # -- payments as the bank shows them ------------------------------------------------------
    def _payments(
        self,
        creditor: Creditor,
        customer: Customer,
        behaviour: Behaviour,
        events: list[_Event],
        sequence: list[int],
    ) -> None:
        rng = self.rng
        batch_payer = customer.kind == Customer.Kind.B2B and rng.random() < 0.4
        # One transfer per invoice, or one weekly payment run (Thursdays) for all that is due.
        by_key: dict[tuple[date, int], list[_Event]] = defaultdict(list)
        for n, event in enumerate(events):
            day = _bank_day(event.day, earliest=event.invoice.issue_date, batch_run=batch_payer)
            if day <= self.as_of:
                by_key[(day, 0 if batch_payer else n)].append(event)
        payer = _payer_name(rng, customer)
        for day, n in sorted(by_key):
            group = by_key[(day, n)]
            amount = sum(e.amount_minor for e in group)
            extra = 0
            if customer.kind == Customer.Kind.B2C and amount % 100 and rng.random() < 0.05:
                extra = 100 - amount % 100  # rounded up to whole euros
            payment = self._payment(creditor, customer, day, amount + extra, extra, sequence)
            payment.payer_name = payer
            payment.payer_iban = customer.iban
            payment.reference = _bank_reference(rng, [e.invoice for e in group])
            for event in group:
                self.out.allocations.append(
                    Allocation(
                        creditor=creditor,
                        invoice=event.invoice,
                        payment=payment,
                        amount_minor=event.amount_minor,
                        currency="EUR",
                        date=day,
                    )
                )
                event.invoice.open_minor -= event.amount_minor
            if rng.random() < 0.003 and day + timedelta(days=3) <= self.as_of:
                twice = self._payment(
                    creditor, customer, _weekday(day + timedelta(days=3)), amount, amount, sequence
                )
                twice.payer_name, twice.payer_iban = payer, customer.iban
                twice.reference = payment.reference  # paid twice: credit on account

    def _payment(
        self,
        creditor: Creditor,
        customer: Customer | None,
        day: date,
        amount: int,
        unallocated: int,
        sequence: list[int],
    ) -> Payment:
        sequence[0] += 1
        payment = Payment(
            creditor=creditor,
            customer=customer,
            number=f"{creditor.code[:2].upper()}{day:%Y%m%d}{sequence[0]:07d}",
            date=day,
            currency="EUR",
            amount_minor=amount,
            unallocated_minor=unallocated,
            source=Payment.Source.DEMO,
        )
        self.out.payments.append(payment)
        return payment

    def _unidentified_payments(self, creditor: Creditor, count: int, sequence: list[int]) -> None:
        """Money nobody could match yet: the work queue of the matching feature."""
        rng = self.rng
        for _ in range(count):
            day = _weekday(self.as_of - timedelta(days=rng.randint(3, 120)))
            if day > self.as_of:
                day = self.as_of
            first, last = self._person(creditor.country, "nl")
            payment = self._payment(creditor, None, day, rng.randint(20, 2000) * 100, 0, sequence)
            payment.unallocated_minor = payment.amount_minor
            payment.payer_name = f"{first[0]}. {last}".upper()
            payment.payer_iban = self._iban(rng.choice(["NL", "BE"]))
            payment.reference = rng.choice(["", "betaling", "bestelling", "zie mail"]) + (
                f" {rng.randint(1000, 9999)}" if rng.random() < 0.5 else ""
            )

    # -- finishing touches --------------------------------------------------------------------
    def _close(self, invoices: Sequence[tuple[Invoice, Customer, Behaviour]]) -> None:
        """Statuses, instalment opens and credit note numbers follow from the allocations."""
        for invoice, _, _ in invoices:
            invoice.status = Invoice.Status.PAID if invoice.open_minor == 0 else Invoice.Status.OPEN
        for invoice, _, _ in invoices:
            parts = self.parts.get(id(invoice))
            if parts:
                opens = settle_in_order(
                    [p.amount_minor for p in parts], invoice.gross_minor - invoice.open_minor
                )
                for part, open_minor in zip(parts, opens, strict=True):
                    part.open_minor = open_minor
        creditor = invoices[0][0].creditor if invoices else None
        notes = [n for n in self.out.credit_notes if n.creditor is creditor and not n.number]
        notes.sort(
            key=lambda n: (n.issue_date, n.original_invoice.number if n.original_invoice else "")
        )
        per_year: dict[int, int] = defaultdict(int)
        for note in notes:
            per_year[note.issue_date.year] += 1
            note.number = f"C{note.issue_date.year}{per_year[note.issue_date.year]:05d}"


# -- small helpers ----------------------------------------------------------------------------
def _existing_logins() -> list[tuple[str, str]]:
    names = set(
        get_user_model()
        .objects.filter(username__in=[u for u, _, _ in DEMO_USERS])
        .values_list("username", flat=True)
    )
    return [(u, label) for u, _, label in DEMO_USERS if u in names]


def _split(total: int, weights: Sequence[float], *, minimum: int = 0) -> list[int]:
    """Divide ``total`` into whole parts proportional to ``weights`` (largest remainder)."""
    n = len(weights)
    base = [minimum] * n
    rest = total - minimum * n
    if rest < 0:
        raise ValueError(f"cannot give {n} parts at least {minimum} from {total}")
    weight_sum = sum(weights)
    shares = [rest * w / weight_sum for w in weights]
    parts = [int(s) for s in shares]
    short = rest - sum(parts)
    order = sorted(range(n), key=lambda i: (parts[i] - shares[i], i))
    for i in order[:short]:
        parts[i] += 1
    return [b + p for b, p in zip(base, parts, strict=True)]


def _weighted(rng: random.Random, options: Sequence[tuple[object, int]]):  # type: ignore[no-untyped-def]
    values = [v for v, _ in options]
    weights = [w for _, w in options]
    return rng.choices(values, weights=weights)[0]


def _pick_language(rng: random.Random, country: str) -> str:
    if country == "NL":
        return _weighted(rng, (("nl", 85), ("en", 10), ("de", 5)))  # type: ignore[no-any-return]
    return _weighted(rng, (("nl", 55), ("fr", 38), ("en", 5), ("de", 2)))  # type: ignore[no-any-return]


def _nl_postcode_letters(rng: random.Random) -> str:
    while True:
        letters = "".join(rng.choice("ABCDEGHJKLMNPRSTVWXZ") for _ in range(2))
        if letters not in ("SA", "SD", "SS"):
            return letters


def _company_numbers(rng: random.Random, country: str) -> tuple[str, str]:
    """A chamber-of-commerce number and a VAT number with valid check digits."""
    if country == "NL":
        while True:  # the omzetbelastingnummer's first nine digits pass the eleven-test
            digits = [rng.randrange(10) for _ in range(8)]
            digits[0] = rng.randint(1, 9)
            check = sum(d * w for d, w in zip(digits, range(9, 1, -1), strict=True)) % 11
            if check < 10:
                break
        vat = "NL" + "".join(map(str, digits)) + str(check) + "B01"
        return str(rng.randint(10000000, 99999999)), vat
    base = rng.randint(2000000, 9999999)  # KBO: 0 + 7 digits + 97 - (first eight mod 97)
    check = 97 - (base % 97)
    number = f"0{base:07d}{check:02d}"
    return f"{number[:4]}.{number[4:7]}.{number[7:]}", f"BE{number}"


def _bank_day(day: date, *, earliest: date, batch_run: bool) -> date:
    """The working day a transfer meant for ``day`` reaches us: the Friday before a weekend, or
    for customers with a weekly payment run the Thursday before; never before ``earliest``."""
    back = (day.weekday() - 3) % 7 if batch_run else max(0, day.weekday() - 4)
    if day - timedelta(days=back) >= earliest:
        return day - timedelta(days=back)
    forward = (3 - day.weekday()) % 7 if batch_run else (7 - day.weekday()) % 7
    return day + timedelta(days=forward) if day.weekday() >= 5 or batch_run else day


def _weekday(day: date) -> date:
    """Invoices and bank bookings happen on working days."""
    weekday = day.weekday()
    return day + timedelta(days=7 - weekday) if weekday >= 5 else day


def _payer_name(rng: random.Random, customer: Customer) -> str:
    """How the customer's bank names them on our statement."""
    if customer.kind == Customer.Kind.B2B:
        return customer.name.upper() if rng.random() < 0.5 else customer.name
    first, _, last = customer.name.partition(" ")
    return rng.choice(
        [
            f"{first[0]}. {last}",
            f"{first[0]} {last}".upper(),
            f"HR {first[0]} {last}".upper(),
            f"MW {first[0]} {last}".upper(),
            customer.name,
        ]
    )


def _bank_reference(rng: random.Random, invoices: Sequence[Invoice]) -> str:
    """What the payer typed: mostly the structured reference, sometimes free text, rarely nothing."""
    if len(invoices) > 1:
        numbers = " ".join(inv.number for inv in invoices[:6])
        return rng.choice([f"Betaling facturen {numbers}", numbers, f"Inv {numbers}"])[:140]
    invoice = invoices[0]
    roll = rng.random()
    if roll < 0.75:
        return invoice.payment_reference
    if roll < 0.9:
        return rng.choice(
            [f"Factuur {invoice.number}", f"fact nr {invoice.number}", invoice.number]
        )
    if roll < 0.97:
        return rng.choice(["betaling", "bestelling", "termijn", "zie factuur"])
    return ""


def _description(rng: random.Random, code: str, b2c: bool, rate: int) -> str:
    if code == "noordzee":
        if b2c:
            return rng.choice(
                ["Webshop bestelling", "Vispakket", "Kerstpakket", "Bestelling online"]
            )
        food = ["Levering vis en schaaldieren", "Levering versproducten", "Weeklevering horeca"]
        other = ["Levering verpakkingsmateriaal", "Huur koelcel", "Levering non-food"]
        return rng.choice(food if rate < 21 else other)
    if b2c:
        return rng.choice(
            [
                "Onderhoud verwarmingsketel",
                "Herstelling lekkage",
                "Plaatsing warmtepomp",
                "Renovatie badkamer",
            ]
        )
    return rng.choice(
        [
            "Onderhoudscontract HVAC",
            "Regiewerk technici",
            "Installatie koeling",
            "Elektrische keuring",
            "Herstelling op afroep",
        ]
    )


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
