"""Validated input records: what the importers and the REST API hand to the upsert services.

Files and JSON bodies are read into plain mappings with canonical English field names (the
importers translate Dutch and English column headers first); the ``parse_*`` functions turn one
such mapping into a typed record or raise :class:`RecordErrors` naming *every* bad field at once,
so a credit manager fixes a row in one go. Values may be raw strings from a file or JSON values
(strings, ints, Decimals, bools, lists); floats are refused for amounts because they cannot
carry cents exactly (the XLSX reader turns spreadsheet numbers into exact strings first).

Each record remembers which fields its source supplied (``fields``): an upsert only overwrites
those, so re-importing a file with fewer columns never wipes data it did not mention.

Checks that need the database (does the customer exist? is the number unique in the file? is the
invoice's amount still above what is allocated?) belong to the upsert services, not here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from stdnum.be import vat as be_vat
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError as StdnumError

from vorder.domain.errors import DomainError
from vorder.domain.money import check_currency, exponent, parse_amount
from vorder.domain.references import detect
from vorder.ledger.models import Channel, Contact, Customer, Language


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    message: str


class RecordErrors(ValueError):
    """One input record failed validation; ``errors`` names every bad field."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        self.errors = list(errors)
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in self.errors))


# -- records --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ContactRecord:
    name: str
    role: str = Contact.Role.ACCOUNTS_PAYABLE
    email: str = ""
    phone: str = ""
    preferred_channel: str = ""
    language: str = ""
    fields: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    number: str
    name: str
    kind: str = Customer.Kind.B2B
    coc_number: str = ""
    vat_number: str = ""
    address_line1: str = ""
    address_line2: str = ""
    postal_code: str = ""
    city: str = ""
    country: str = "NL"
    email: str = ""
    phone: str = ""
    language: str = Language.NL
    preferred_channel: str = Channel.EMAIL
    payment_term_days: int | None = None
    credit_limit: Decimal | None = None  # in the creditor's currency
    segment: str = ""
    tags: tuple[str, ...] = ()
    on_hold: bool = False
    on_hold_reason: str = ""
    iban: str = ""
    contacts: tuple[ContactRecord, ...] = ()
    fields: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class InvoiceRecord:
    number: str
    customer: str  # the customer's (debtor) number
    issue_date: date
    currency: str
    net: Decimal
    vat: Decimal
    gross: Decimal
    due_date: date | None = None  # None: issue date + the customer's or creditor's term
    payment_reference: str = ""  # empty: generated in the creditor's style
    description: str = ""
    order_reference: str = ""
    instalments: tuple[tuple[date, Decimal], ...] = ()
    fields: frozenset[str] = frozenset()
    # The creditor-style reference a new invoice gets when the row has none, made while the
    # file is read (an import reads in a thread beside the writes); never overwrites a stored one.
    generated_reference: str = ""

    def minor(self, amount: Decimal) -> int:
        return int(amount.scaleb(exponent(self.currency)))


@dataclass(frozen=True, slots=True)
class CreditNoteRecord:
    number: str
    customer: str
    issue_date: date
    currency: str
    net: Decimal
    vat: Decimal
    gross: Decimal
    invoice: str = ""  # number of the invoice it corrects: the credit is allocated to it
    description: str = ""
    fields: frozenset[str] = frozenset()

    def minor(self, amount: Decimal) -> int:
        return int(amount.scaleb(exponent(self.currency)))


@dataclass(frozen=True, slots=True)
class PaymentRecord:
    number: str
    date: date
    currency: str
    amount: Decimal
    customer: str = ""
    payer_name: str = ""
    payer_iban: str = ""
    reference: str = ""
    invoices: tuple[str, ...] = ()  # invoice numbers to allocate to, in this order
    fields: frozenset[str] = frozenset()

    def minor(self, amount: Decimal) -> int:
        return int(amount.scaleb(exponent(self.currency)))


# -- the canonical field names (importers map their column headers onto these) ---------------
CUSTOMER_FIELDS = (
    "number", "name", "kind", "coc_number", "vat_number", "address_line1", "address_line2",
    "postal_code", "city", "country", "email", "phone", "language", "preferred_channel",
    "payment_term_days", "credit_limit", "segment", "tags", "on_hold", "on_hold_reason", "iban",
    "contact_name", "contact_role", "contact_email", "contact_phone", "contacts",
)  # fmt: skip
INVOICE_FIELDS = (
    "number", "customer", "issue_date", "due_date", "currency", "net", "vat", "gross",
    "payment_reference", "description", "order_reference", "instalments",
)  # fmt: skip
CREDIT_NOTE_FIELDS = (
    "number", "customer", "issue_date", "currency", "net", "vat", "gross", "invoice",
    "description",
)  # fmt: skip
PAYMENT_FIELDS = (
    "number", "date", "amount", "currency", "customer", "payer_name", "payer_iban", "reference",
    "invoice",
)  # fmt: skip
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "customers": ("number", "name"),
    "invoices": ("number", "customer", "issue_date"),  # plus gross, or net (and vat)
    "credit_notes": ("number", "customer", "issue_date"),
    "payments": ("number", "date", "amount"),
}
AMOUNT_FIELDS: dict[str, tuple[str, ...]] = {
    "customers": ("credit_limit",),
    "invoices": ("net", "vat", "gross", "instalments"),
    "credit_notes": ("net", "vat", "gross"),
    "payments": ("amount",),
}


# -- value readers: each returns the parsed value or raises ValueError with a readable message --
_BLANK = (None, "")


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a spreadsheet number cell holding an invoice number
    return str(value).strip()


class _Reader:
    """Collects field errors while reading one mapping, so all of them are reported together."""

    __slots__ = ("decimal_separator", "errors", "row")

    def __init__(self, row: Mapping[str, object], decimal_separator: str | None) -> None:
        self.row = row
        self.errors: list[FieldError] = []
        self.decimal_separator = decimal_separator

    def fail(self, name: str, message: str) -> None:
        self.errors.append(FieldError(name, message))

    def text(self, name: str, *, required: bool = False, max_length: int = 200) -> str:
        value = _text(self.row.get(name))
        if not value:
            if required:
                self.fail(name, "is required")
            return ""
        if len(value) > max_length:
            self.fail(name, f"is longer than {max_length} characters")
            return value[:max_length]
        return value

    def date(self, name: str, *, required: bool = False) -> date | None:
        value = self.row.get(name)
        if value in _BLANK or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(name, "is required")
            return None
        try:
            return parse_date(value)
        except ValueError as exc:
            self.fail(name, str(exc))
            return None

    def amount(self, name: str, currency: str, *, required: bool = False) -> Decimal | None:
        value = self.row.get(name)
        if value in _BLANK or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(name, "is required")
            return None
        try:
            return read_amount(value, currency, self.decimal_separator)
        except ValueError as exc:
            self.fail(name, str(exc))
            return None

    def choice(self, name: str, aliases: Mapping[str, str], default: str) -> str:
        value = _text(self.row.get(name)).lower()
        if not value:
            return default
        if value in aliases:
            return aliases[value]
        allowed = ", ".join(sorted(set(aliases.values())))
        self.fail(name, f"'{value}' is not one of: {allowed}")
        return default

    def integer(self, name: str, *, minimum: int = 0, maximum: int = 10**6) -> int | None:
        value = self.row.get(name)
        if value in _BLANK or (isinstance(value, str) and not value.strip()):
            return None
        text = _text(value)
        if isinstance(value, bool) or not re.fullmatch(r"[+-]?\d+", text):
            self.fail(name, f"'{text}' is not a whole number")
            return None
        number = int(text)
        if not minimum <= number <= maximum:
            self.fail(name, f"must be between {minimum} and {maximum}")
            return None
        return number

    def boolean(self, name: str) -> bool:
        value = self.row.get(name)
        if isinstance(value, bool):
            return value
        text = _text(value).lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        self.fail(name, f"'{text}' is not yes or no")
        return False


_TRUE = frozenset({"1", "true", "yes", "y", "ja", "j", "x", "waar"})
_FALSE = frozenset({"", "0", "false", "no", "n", "nee", "onwaar"})
_DATE_DMY = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})")


def parse_date(value: object) -> date:
    """ISO dates (2024-03-31) and the Dutch/Belgian day-first forms 31-03-2024, 31/03/2024, 31.3.2024.

    US month-first dates are not accepted: 03/04/2024 would be ambiguous.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    try:
        return date.fromisoformat(text[:10] if len(text) > 10 and text[10] in "T " else text)
    except ValueError:
        pass
    match = _DATE_DMY.fullmatch(text)
    if match:
        day, month, year = (int(g) for g in match.groups())
        try:
            return date(year, month, day)
        except ValueError:
            pass
    raise ValueError(f"'{text}' is not a date; write YYYY-MM-DD or DD-MM-YYYY")


_PLAIN_POINT = re.compile(r"-?\d{1,15}(?:\.\d{1,6})?").fullmatch
_PLAIN_COMMA = re.compile(r"-?\d{1,15}(?:,\d{1,6})?").fullmatch
_LIMIT = Decimal(10) ** 15


def read_amount(value: object, currency: str, decimal_separator: str | None = None) -> Decimal:
    """An exact amount with no more decimals than the currency allows.

    Plain amounts ('1234.50', or '1234,50' in a decimal-comma file) take a fast path: a million
    invoice rows hold three million of them.
    """
    if value.__class__ is str:
        text: str = value
        if decimal_separator != "," and _PLAIN_POINT(text):
            amount = Decimal(text)
        elif decimal_separator == "," and _PLAIN_COMMA(text):
            amount = Decimal(text.replace(",", "."))
        else:
            try:
                amount = parse_amount(text, decimal_separator)
            except DomainError as exc:
                raise ValueError(f"'{value}' is not an amount") from exc
    elif isinstance(value, bool | float):
        raise ValueError("amounts must be written as text or whole numbers, not floating point")
    elif isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, Decimal):
        amount = value
    else:
        try:
            amount = parse_amount(str(value), decimal_separator)
        except DomainError as exc:
            raise ValueError(f"'{value}' is not an amount") from exc
    if not amount.is_finite() or abs(amount) >= _LIMIT:
        raise ValueError(f"'{value}' is not an amount (or too large)")
    places = exponent(currency)
    if amount.as_tuple().exponent >= -places:  # type: ignore[operator]
        return amount
    exact = amount.quantize(Decimal(1).scaleb(-places))
    if exact != amount:
        raise ValueError(f"'{value}' has more than {places} decimals for {currency}")
    return exact


def _currency(reader: _Reader, default_currency: str) -> str:
    value = _text(reader.row.get("currency"))
    if not value:
        return default_currency
    try:
        return check_currency(value)
    except DomainError:
        reader.fail("currency", f"'{value}' is not a three-letter ISO 4217 currency code")
        return default_currency


def _fields(row: Mapping[str, object]) -> frozenset[str]:
    return frozenset(row.keys())


def _finish(reader: _Reader) -> None:
    if reader.errors:
        raise RecordErrors(reader.errors)


# -- identifiers: VAT, company numbers, IBAN --------------------------------------------------
_NL_VAT = re.compile(r"NL([0-9]{9})B([0-9]{2})").fullmatch


def normalise_vat(text: str) -> str:
    """A European VAT number, compact with its country prefix (NL123456789B01, BE0411905847)."""
    match = _NL_VAT(text)
    if match and int(match[1]) and int(match[2]):
        # Already compact and Dutch: the eleven-test that stdnum does first, without its
        # character-by-character cleaning (a customer file holds one per business customer).
        digits = match[1]
        if (sum((9 - i) * int(d) for i, d in enumerate(digits[:8])) - int(digits[8])) % 11 == 0:
            return text
    try:
        return str(eu_vat.validate(text))
    except StdnumError as exc:
        raise ValueError(f"'{text}' is not a valid VAT number ({exc})") from exc


def normalise_coc(text: str, country: str) -> str:
    """KvK (NL, 8 digits) or KBO/BCE (BE, 10 digits with mod-97 check); other countries as given."""
    compact = re.sub(r"[\s.\-]", "", text)
    if country == "NL":
        if not re.fullmatch(r"\d{8}", compact):
            raise ValueError(f"'{text}' is not a KvK number (8 digits)")
        return compact
    if country == "BE":
        try:
            return str(be_vat.validate(compact))
        except StdnumError as exc:
            raise ValueError(f"'{text}' is not a valid KBO/BCE number ({exc})") from exc
    return text.strip()


def normalise_iban(text: str) -> str:
    try:
        return str(IBAN(text).compact)
    except SchwiftyException as exc:
        raise ValueError(f"'{text}' is not a valid IBAN ({exc})") from exc


def normalise_bic(text: str) -> str:
    try:
        return str(BIC(text).compact)
    except SchwiftyException as exc:
        raise ValueError(f"'{text}' is not a valid BIC ({exc})") from exc


def normalise_reference(text: str) -> str:
    """A structured payment reference (RF, OGM/VCS, betalingskenmerk) in its normal form."""
    found = detect(text)
    if found is None:
        raise ValueError(
            f"'{text}' is not a structured payment reference "
            "(RF creditor reference, Belgian +++123/4567/89002+++ or a 16-digit betalingskenmerk)"
        )
    return found[1]


# -- choices (codes, English and Dutch words) ------------------------------------------------
def _aliases(choices: type, extra: Mapping[str, str]) -> dict[str, str]:
    table = {str(value).lower(): str(value) for value in choices.values}  # type: ignore[attr-defined]
    table.update({str(label).lower(): str(value) for value, label in choices.choices})  # type: ignore[attr-defined]
    table.update(extra)
    return table


KIND_ALIASES = _aliases(
    Customer.Kind,
    {"business": "b2b", "company": "b2b", "zakelijk": "b2b", "bedrijf": "b2b",
     "consumer": "b2c", "private": "b2c", "particulier": "b2c", "consument": "b2c"},
)  # fmt: skip
LANGUAGE_ALIASES = _aliases(
    Language,
    {"nederlands": "nl", "engels": "en", "frans": "fr", "duits": "de", "vlaams": "nl",
     "français": "fr", "deutsch": "de"},
)  # fmt: skip
CHANNEL_ALIASES = _aliases(
    Channel,
    {"e-mail": "email", "mail": "email", "brief": "letter", "post": "letter", "paper": "letter",
     "sms": "sms", "tekst": "sms", "telefoon": "phone", "bellen": "phone", "call": "phone"},
)  # fmt: skip
ROLE_ALIASES = _aliases(
    Contact.Role,
    {"crediteurenadministratie": "accounts_payable", "ap": "accounts_payable",
     "administratie": "accounts_payable", "financiën": "finance", "financien": "finance",
     "eigenaar": "owner", "directeur": "owner", "director": "owner", "inkoop": "purchasing",
     "overig": "other", "anders": "other"},
)  # fmt: skip


# -- parse functions -------------------------------------------------------------------------
def parse_contact(row: Mapping[str, object], *, prefix: str = "") -> ContactRecord:
    """A contact person; ``prefix`` reads the contact_* columns of a customer row."""
    reader = _Reader({k[len(prefix) :]: v for k, v in row.items() if k.startswith(prefix)}, None)
    name = reader.text("name", required=True)
    email = reader.text("email", max_length=254).lower()
    if email:
        try:
            validate_email(email)
        except DjangoValidationError:
            reader.fail("email", f"'{email}' is not an email address")
    record = ContactRecord(
        name=name,
        role=reader.choice("role", ROLE_ALIASES, Contact.Role.ACCOUNTS_PAYABLE),
        email=email,
        phone=reader.text("phone", max_length=40),
        preferred_channel=reader.choice("preferred_channel", CHANNEL_ALIASES, ""),
        language=reader.choice("language", LANGUAGE_ALIASES, ""),
        fields=frozenset(reader.row.keys()),
    )
    if reader.errors:
        raise RecordErrors([FieldError(prefix + e.field, e.message) for e in reader.errors])
    return record


def parse_customer(
    row: Mapping[str, object], *, decimal_separator: str | None = None, currency: str = "EUR"
) -> CustomerRecord:
    """A customer (debtor). ``currency`` is the creditor's, in which a credit limit is written."""
    r = _Reader(row, decimal_separator)
    number = r.text("number", required=True, max_length=40)
    name = r.text("name", required=True)
    country = r.text("country", max_length=2).upper() or "NL"
    if not re.fullmatch(r"[A-Z]{2}", country):
        r.fail("country", f"'{country}' is not a two-letter country code")
    vat_number = r.text("vat_number", max_length=30)
    if vat_number:
        try:
            vat_number = normalise_vat(vat_number)
        except ValueError as exc:
            r.fail("vat_number", str(exc))
    coc_number = r.text("coc_number", max_length=20)
    if coc_number:
        try:
            coc_number = normalise_coc(coc_number, country)
        except ValueError as exc:
            r.fail("coc_number", str(exc))
    email = r.text("email", max_length=254).lower()
    if email:
        try:
            validate_email(email)
        except DjangoValidationError:
            r.fail("email", f"'{email}' is not an email address")
    iban = r.text("iban", max_length=40)
    if iban:
        try:
            iban = normalise_iban(iban)
        except ValueError as exc:
            r.fail("iban", str(exc))
    credit_limit = r.amount("credit_limit", currency)
    if credit_limit is not None and credit_limit < 0:
        r.fail("credit_limit", "must not be negative")
    tags_value = row.get("tags")
    if isinstance(tags_value, list | tuple):
        tags = tuple(_text(t) for t in tags_value if _text(t))
    else:
        tags = tuple(t.strip() for t in re.split(r"[;,|]", _text(tags_value)) if t.strip())
    contacts: list[ContactRecord] = []
    raw_contacts = row.get("contacts")
    if isinstance(raw_contacts, list | tuple):
        for i, item in enumerate(raw_contacts):
            if not isinstance(item, Mapping):
                r.fail(f"contacts[{i}]", "must be an object")
                continue
            try:
                contacts.append(parse_contact(item))
            except RecordErrors as exc:
                r.errors.extend(
                    FieldError(f"contacts[{i}].{e.field}", e.message) for e in exc.errors
                )
    elif raw_contacts not in _BLANK:
        r.fail("contacts", "must be a list of contacts")
    if _text(row.get("contact_name")) or _text(row.get("contact_email")):
        try:
            contacts.append(parse_contact(row, prefix="contact_"))
        except RecordErrors as exc:
            r.errors.extend(exc.errors)
    fields = set(row.keys())
    if contacts or {"contact_name", "contact_email"} & fields:
        fields.add("contacts")
    record = CustomerRecord(
        number=number,
        name=name,
        kind=r.choice("kind", KIND_ALIASES, Customer.Kind.B2B),
        coc_number=coc_number,
        vat_number=vat_number,
        address_line1=r.text("address_line1"),
        address_line2=r.text("address_line2"),
        postal_code=r.text("postal_code", max_length=20),
        city=r.text("city", max_length=100),
        country=country,
        email=email,
        phone=r.text("phone", max_length=40),
        language=r.choice("language", LANGUAGE_ALIASES, Language.NL),
        preferred_channel=r.choice("preferred_channel", CHANNEL_ALIASES, Channel.EMAIL),
        payment_term_days=r.integer("payment_term_days", maximum=365),
        credit_limit=credit_limit,
        segment=r.text("segment", max_length=60),
        tags=tags,
        on_hold=r.boolean("on_hold"),
        on_hold_reason=r.text("on_hold_reason"),
        iban=iban,
        contacts=tuple(contacts),
        fields=frozenset(fields),
    )
    _finish(r)
    return record


def _net_vat_gross(r: _Reader, currency: str) -> tuple[Decimal, Decimal, Decimal]:
    """Net, VAT and gross from whichever two (or three) the row gives; they must add up."""
    net = r.amount("net", currency)
    vat = r.amount("vat", currency)
    gross = r.amount("gross", currency)
    bad = any(e.field in ("net", "vat", "gross") for e in r.errors)
    if bad:
        return Decimal(0), Decimal(0), Decimal(0)
    if gross is None and net is None:
        r.fail("gross", "is required (or give net and vat)")
        return Decimal(0), Decimal(0), Decimal(0)
    if gross is None:
        assert net is not None
        vat = vat or Decimal(0)
        gross = net + vat
    elif net is None:
        vat = vat or Decimal(0)
        net = gross - vat
    elif vat is None:
        vat = gross - net
    elif net + vat != gross:
        r.fail("gross", f"{gross} is not net {net} + VAT {vat}")
    if gross <= 0:
        r.fail("gross", "must be more than zero (a negative amount is a credit note)")
    return net, vat, gross


def _reference(r: _Reader, name: str) -> str:
    text = r.text(name, max_length=60)
    if not text:
        return ""
    try:
        return normalise_reference(text)
    except ValueError as exc:
        r.fail(name, str(exc))
        return ""


def _instalments(r: _Reader, currency: str) -> tuple[tuple[date, Decimal], ...]:
    """An instalment schedule: a list of {due_date, amount} / [date, amount] (API), or the text
    '2024-02-01=100.00; 2024-03-01=21.00' (files)."""
    value = r.row.get("instalments")
    if value in _BLANK:
        return ()
    if isinstance(value, str):
        items: list[object] = [
            tuple(part.split("=", 1)) if "=" in part else (part, "")
            for part in (p.strip() for p in value.split(";"))
            if part
        ]
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        r.fail("instalments", "must be a list of due dates with amounts")
        return ()
    schedule: list[tuple[date, Decimal]] = []
    for i, item in enumerate(items, start=1):
        if isinstance(item, Mapping):
            due, amount = item.get("due_date"), item.get("amount")
        elif isinstance(item, list | tuple) and len(item) == 2:
            due, amount = item
        else:
            r.fail("instalments", f"part {i} must be a due date with an amount")
            continue
        try:
            part = (parse_date(due), read_amount(amount, currency, r.decimal_separator))
        except ValueError as exc:
            r.fail("instalments", f"part {i}: {exc}")
            continue
        if part[1] <= 0:
            r.fail("instalments", f"part {i}: the amount must be more than zero")
        schedule.append(part)
    schedule.sort(key=lambda part: part[0])
    return tuple(schedule)


def parse_invoice(
    row: Mapping[str, object],
    *,
    decimal_separator: str | None = None,
    default_currency: str = "EUR",
    reference_for: Callable[[str], str] | None = None,
) -> InvoiceRecord:
    r = _Reader(row, decimal_separator)
    number = r.text("number", required=True, max_length=40)
    customer = r.text("customer", required=True, max_length=40)
    issue_date = r.date("issue_date", required=True)
    due_date = r.date("due_date")
    currency = _currency(r, default_currency)
    net, vat, gross = _net_vat_gross(r, currency)
    if issue_date and due_date and due_date < issue_date:
        r.fail("due_date", f"{due_date} is before the issue date {issue_date}")
    instalments = _instalments(r, currency)
    if instalments and not any(e.field == "gross" for e in r.errors):
        total = sum((amount for _, amount in instalments), Decimal(0))
        if total != gross:
            r.fail("instalments", f"the parts add up to {total}, not to the invoice total {gross}")
        if issue_date and instalments[0][0] < issue_date:
            r.fail("instalments", "a part falls due before the issue date")
    reference = _reference(r, "payment_reference")
    description = r.text("description", max_length=300)
    order_reference = r.text("order_reference", max_length=100)
    _finish(r)
    return InvoiceRecord(
        number=number,
        customer=customer,
        issue_date=issue_date or date.min,
        due_date=due_date,
        currency=currency,
        net=net,
        vat=vat,
        gross=gross,
        payment_reference=reference,
        description=description,
        order_reference=order_reference,
        instalments=instalments,
        fields=_fields(row),
        generated_reference=reference_for(number) if reference_for and not reference else "",
    )


def parse_credit_note(
    row: Mapping[str, object],
    *,
    decimal_separator: str | None = None,
    default_currency: str = "EUR",
) -> CreditNoteRecord:
    r = _Reader(row, decimal_separator)
    number = r.text("number", required=True, max_length=40)
    customer = r.text("customer", required=True, max_length=40)
    issue_date = r.date("issue_date", required=True)
    currency = _currency(r, default_currency)
    net, vat, gross = _net_vat_gross(r, currency)
    record = CreditNoteRecord(
        number=number,
        customer=customer,
        issue_date=issue_date or date.min,
        currency=currency,
        net=net,
        vat=vat,
        gross=gross,
        invoice=r.text("invoice", max_length=40),
        description=r.text("description", max_length=300),
        fields=_fields(row),
    )
    _finish(r)
    return record


def parse_payment(
    row: Mapping[str, object],
    *,
    decimal_separator: str | None = None,
    default_currency: str = "EUR",
) -> PaymentRecord:
    r = _Reader(row, decimal_separator)
    number = r.text("number", required=True, max_length=60)
    paid_on = r.date("date", required=True)
    currency = _currency(r, default_currency)
    amount = r.amount("amount", currency, required=True)
    if amount is not None and amount <= 0:
        r.fail("amount", "must be more than zero (record a refund separately)")
    payer_iban = r.text("payer_iban", max_length=40)
    if payer_iban:
        try:
            payer_iban = normalise_iban(payer_iban)
        except ValueError as exc:
            r.fail("payer_iban", str(exc))
    invoices_value = row.get("invoice")
    if isinstance(invoices_value, list | tuple):
        invoices = tuple(_text(v) for v in invoices_value if _text(v))
    else:
        invoices = tuple(v.strip() for v in _text(invoices_value).split(";") if v.strip())
    if len(set(invoices)) != len(invoices):
        r.fail("invoice", "names the same invoice twice")
    record = PaymentRecord(
        number=number,
        date=paid_on or date.min,
        currency=currency,
        amount=amount or Decimal(0),
        customer=r.text("customer", max_length=40),
        payer_name=r.text("payer_name"),
        payer_iban=payer_iban,
        reference=r.text("reference", max_length=140),
        invoices=invoices,
        fields=_fields(row),
    )
    _finish(r)
    return record


# -- the fast path for invoice files ---------------------------------------------------------
_PLAIN_CELLS = {
    ".": re.compile(r"-?\d{1,15}(?:\.(\d{1,6}))?").fullmatch,
    ",": re.compile(r"-?\d{1,15}(?:,(\d{1,6}))?").fullmatch,
}
_DATE_CACHE_LIMIT = 100_000  # distinct date texts remembered per file


class InvoiceRowReader:
    """Reads the invoice rows of one file straight from their cells, for the shape nearly every
    row of an accounting export has: plain amounts in the file's decimal convention, dates the
    file repeats, no instalments. A million-row file spends most of its validation time here.

    It returns ``None`` for any row it is not certain about (an error, an unusual form, a
    non-text cell); the caller then reads that row with :func:`parse_invoice`, which stays the
    one place that decides what is wrong and says so, field by field. For the rows it accepts
    the record is exactly the one ``parse_invoice`` would build (tests/ledger/test_records.py
    compares both on every kind of row).
    """

    def __init__(
        self,
        columns: Sequence[str | None],
        *,
        decimal_separator: str | None = None,
        default_currency: str = "EUR",
        reference_for: Callable[[str], str] | None = None,
    ) -> None:
        self._reference_for = reference_for
        index = {name: i for i, name in enumerate(columns) if name}
        self.fields = frozenset(index)
        self.width = len(columns)
        self._index = index
        self._incomplete = not {"number", "customer", "issue_date"} <= index.keys()
        self._number = index.get("number", 0)
        self._customer = index.get("customer", 0)
        self._optional_texts = [
            (slot, index[name], limit)
            for slot, (name, limit) in enumerate(
                (("payment_reference", 60), ("description", 300), ("order_reference", 100))
            )
            if name in index
        ]
        self._plain = _PLAIN_CELLS["," if decimal_separator == "," else "."]
        self._comma = decimal_separator == ","
        self._default_currency = default_currency
        self._dates: dict[str, date] = {}
        self._currencies: dict[str, tuple[str, int]] = {}

    def _date(self, text: str) -> date | None:
        found = self._dates.get(text)
        if found is None:
            try:
                found = parse_date(text)
            except ValueError:
                return None
            if len(self._dates) < _DATE_CACHE_LIMIT:
                self._dates[text] = found
        return found

    def _currency(self, text: str) -> tuple[str, int] | None:
        """(ISO code, decimals) for a currency cell; None when it is not a currency."""
        found = self._currencies.get(text)
        if found is None:
            code = text.strip() or self._default_currency
            try:
                code = check_currency(code)
                found = (code, exponent(code))
            except DomainError:
                return None
            self._currencies[text] = found
        return found

    def _amount(self, value: object, places: int) -> Decimal | None | bool:
        """The amount of a plain cell; None when blank; False when the slow path must decide."""
        if value is None:
            return None
        if value.__class__ is not str:
            return False
        text: str = value  # type: ignore[assignment]
        match = self._plain(text)
        if match is None:
            return None if not text.strip() else False
        fraction = match.group(1)
        if fraction is not None and len(fraction) > places:
            return False
        return Decimal(text.replace(",", ".") if self._comma else text)

    def __call__(self, cells: Sequence[object]) -> InvoiceRecord | None:  # noqa: C901, PLR0911, PLR0912
        if len(cells) < self.width or self._incomplete:
            return None
        number = cells[self._number]
        customer = cells[self._customer]
        if number.__class__ is not str or customer.__class__ is not str:
            return None
        number = number.strip()  # type: ignore[attr-defined]
        customer = customer.strip()  # type: ignore[attr-defined]
        if not number or not customer or len(number) > 40 or len(customer) > 40:
            return None
        texts = ["", "", ""]  # payment_reference, description, order_reference
        for slot, i, limit in self._optional_texts:
            value = cells[i]
            if value is None:
                continue
            if value.__class__ is not str:
                return None
            text = value.strip()  # type: ignore[attr-defined]
            if len(text) > limit:
                return None
            texts[slot] = text
        index = self._index
        i = index["issue_date"]
        value = cells[i]
        if value.__class__ is not str:
            return None
        issue_date = self._date(value)  # type: ignore[arg-type]
        if issue_date is None:
            return None
        due_date = None
        i = index.get("due_date")
        if i is not None:
            value = cells[i]
            if value is not None:
                if value.__class__ is not str:
                    return None
                if value.strip():  # type: ignore[attr-defined]
                    due_date = self._date(value)  # type: ignore[arg-type]
                    if due_date is None or due_date < issue_date:
                        return None
        i = index.get("currency")
        value = cells[i] if i is not None else None
        if value is None:
            value = ""
        elif value.__class__ is not str:
            return None
        currency = self._currency(value)  # type: ignore[arg-type]
        if currency is None:
            return None
        code, places = currency
        amounts: list[Decimal | None] = []
        for name in ("net", "vat", "gross"):
            i = index.get(name)
            amount = None if i is None else self._amount(cells[i], places)
            if amount is False:
                return None
            amounts.append(amount)  # type: ignore[arg-type]
        net, vat, gross = amounts
        # The same arithmetic as _net_vat_gross; anything it would refuse goes the slow way.
        if gross is None:
            if net is None:
                return None
            vat = vat or Decimal(0)
            gross = net + vat
        elif net is None:
            vat = vat or Decimal(0)
            net = gross - vat
        elif vat is None:
            vat = gross - net
        elif net + vat != gross:
            return None
        if gross <= 0:
            return None
        i = index.get("instalments")
        if i is not None and cells[i] not in _BLANK:
            return None
        reference = texts[0]
        if reference:
            try:
                reference = normalise_reference(reference)
            except ValueError:
                return None
        return InvoiceRecord(
            number=number,
            customer=customer,
            issue_date=issue_date,
            due_date=due_date,
            currency=code,
            net=net,  # type: ignore[arg-type]
            vat=vat,  # type: ignore[arg-type]
            gross=gross,
            payment_reference=reference,
            description=texts[1],
            order_reference=texts[2],
            fields=self.fields,
            generated_reference=(
                self._reference_for(number) if self._reference_for and not reference else ""
            ),
        )
