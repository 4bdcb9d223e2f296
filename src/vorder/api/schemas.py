"""Request and response bodies of API v1, as the OpenAPI document shows them.

Input schemas check only the shape of a body (known fields, strings where strings belong). The
values themselves are checked by ``vorder.ledger.records.parse_*``, the same functions the file
importers use, so a bad VAT number or an amount with three decimals is refused with the same
message whether it came from a CSV file or from JSON.

Amounts are strings with a decimal point ("121.00"); whole numbers are accepted too, JSON
numbers with a fraction are refused (floats cannot carry cents exactly). Responses always write
amounts as strings with two decimals (more for currencies that use more). Dates are ISO 8601.
Fields left out of an upsert keep their stored value (on create: their default), exactly as
when a file without that column is imported.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Generic, TypeVar

from ninja import Field, Schema
from pydantic import ConfigDict, WithJsonSchema

T = TypeVar("T")

Amount = Annotated[
    Any,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^-?\d+(\.\d+)?$",
            "examples": ["121.00"],
            "description": "an amount with a decimal point, as a string (never a JSON float)",
        }
    ),
]
DateText = Annotated[
    str,
    WithJsonSchema(
        {
            "type": "string",
            "format": "date",
            "examples": ["2025-03-31"],
            "description": "YYYY-MM-DD",
        }
    ),
]


class Input(Schema):
    """Unknown fields are refused, so a misspelt field name is never silently ignored."""

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)


# -- customers --------------------------------------------------------------------------------


class ContactIn(Input):
    name: str
    role: str | None = Field(
        None, description="accounts_payable (default), finance, owner, purchasing, other"
    )
    email: str | None = None
    phone: str | None = None
    preferred_channel: str | None = Field(None, description="email, letter, sms or phone")
    language: str | None = Field(None, description="nl, en, fr or de")


class CustomerFields(Input):
    name: str
    kind: str | None = Field(None, description="b2b (default) or b2c")
    coc_number: str | None = Field(None, description="KvK (NL) or KBO/BCE (BE) number")
    vat_number: str | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str | None = Field(None, description="ISO 3166 two-letter code; default NL")
    email: str | None = None
    phone: str | None = None
    language: str | None = Field(None, description="nl (default), en, fr or de")
    preferred_channel: str | None = Field(None, description="email (default), letter, sms, phone")
    payment_term_days: int | None = Field(None, description="overrides the creditor's term")
    credit_limit: Amount | None = Field(None, description="in the creditor's currency")
    segment: str | None = None
    tags: list[str] | None = None
    on_hold: bool | None = Field(None, description="no dunning while on hold")
    on_hold_reason: str | None = None
    iban: str | None = Field(None, description="the account the customer pays from")
    contacts: list[ContactIn] | None = Field(
        None, description="replaces the customer's contacts when given"
    )


class CustomerPut(CustomerFields):
    number: str | None = Field(None, description="optional; must match the number in the URL")


class CustomerBulkItem(CustomerFields):
    number: str


class ContactOut(Schema):
    name: str
    role: str
    email: str
    phone: str
    preferred_channel: str
    language: str
    is_active: bool


class CustomerOut(Schema):
    number: str
    name: str
    kind: str
    coc_number: str
    vat_number: str
    address_line1: str
    address_line2: str
    postal_code: str
    city: str
    country: str
    email: str
    phone: str
    language: str
    preferred_channel: str
    payment_term_days: int | None
    credit_limit: str | None = Field(description="in the creditor's currency")
    segment: str
    tags: list[str]
    on_hold: bool
    on_hold_reason: str
    iban: str
    contacts: list[ContactOut]
    created_at: dt.datetime
    updated_at: dt.datetime


# -- invoices ---------------------------------------------------------------------------------


class InstalmentIn(Input):
    due_date: DateText
    amount: Amount


class InvoiceFields(Input):
    customer: str = Field(description="the customer's (debtor) number")
    issue_date: DateText
    due_date: DateText | None = Field(
        None, description="default: issue date plus the customer's or creditor's payment term"
    )
    currency: str | None = Field(None, description="ISO 4217; default the creditor's currency")
    net: Amount | None = None
    vat: Amount | None = None
    gross: Amount | None = Field(None, description="give gross, or net (and vat), or all three")
    payment_reference: str | None = Field(
        None, description="structured reference; generated in the creditor's style when empty"
    )
    description: str | None = None
    order_reference: str | None = Field(None, description="the customer's PO number")
    instalments: list[InstalmentIn] | None = Field(
        None, description="an instalment schedule; the parts must add up to gross"
    )


class InvoicePut(InvoiceFields):
    number: str | None = Field(None, description="optional; must match the number in the URL")


class InvoiceBulkItem(InvoiceFields):
    number: str


class InstalmentOut(Schema):
    sequence: int
    due_date: dt.date
    amount: str
    open: str


class InvoiceOut(Schema):
    number: str
    customer: str
    issue_date: dt.date
    due_date: dt.date
    currency: str
    net: str
    vat: str
    gross: str
    open: str
    status: str = Field(description="open, paid or cancelled")
    payment_reference: str
    description: str
    order_reference: str
    instalments: list[InstalmentOut]
    source: str
    created_at: dt.datetime
    updated_at: dt.datetime


# -- credit notes -----------------------------------------------------------------------------


class CreditNoteFields(Input):
    customer: str = Field(description="the customer's (debtor) number")
    issue_date: DateText
    currency: str | None = None
    net: Amount | None = None
    vat: Amount | None = None
    gross: Amount | None = Field(None, description="positive: the amount credited")
    invoice: str | None = Field(
        None, description="number of the invoice it corrects: the credit is allocated to it"
    )
    description: str | None = None


class CreditNotePut(CreditNoteFields):
    number: str | None = Field(None, description="optional; must match the number in the URL")


class CreditNoteBulkItem(CreditNoteFields):
    number: str


class CreditNoteOut(Schema):
    number: str
    customer: str
    issue_date: dt.date
    currency: str
    net: str
    vat: str
    gross: str
    open: str = Field(description="credit not yet allocated to invoices")
    status: str = Field(description="open, settled or cancelled")
    invoice: str | None
    description: str
    source: str
    created_at: dt.datetime
    updated_at: dt.datetime


# -- payments ---------------------------------------------------------------------------------


class PaymentFields(Input):
    date: DateText
    amount: Amount
    currency: str | None = None
    customer: str | None = Field(None, description="the paying customer's number, when known")
    payer_name: str | None = None
    payer_iban: str | None = None
    reference: str | None = Field(None, description="the remittance text or structured reference")
    invoices: list[str] | None = Field(
        None, description="invoice numbers to allocate the payment to, in this order"
    )


class PaymentPut(PaymentFields):
    number: str | None = Field(None, description="optional; must match the number in the URL")


class PaymentBulkItem(PaymentFields):
    number: str


class PaymentOut(Schema):
    number: str
    customer: str | None
    date: dt.date
    currency: str
    amount: str
    unallocated: str = Field(description="not yet allocated to invoices: credit on account")
    payer_name: str
    payer_iban: str
    reference: str
    source: str
    created_at: dt.datetime


# -- open items -------------------------------------------------------------------------------


class OpenItemOut(Schema):
    kind: str = Field(description="invoice, instalment, credit_note or payment")
    number: str
    date: dt.date
    due_date: dt.date | None
    currency: str
    gross: str = Field(description="credit notes and payments are negative")
    open: str
    days_overdue: int
    payment_reference: str


class OpenItemsOut(Schema):
    customer: str
    as_of: dt.date
    items: list[OpenItemOut]


# -- envelopes --------------------------------------------------------------------------------


class Page(Schema, Generic[T]):
    count: int = Field(description="items matching the filters, over all pages")
    limit: int
    offset: int
    next_offset: int | None = Field(description="offset of the next page; null on the last page")
    items: list[T]


class UpsertSummary(Schema):
    created: int
    updated: int
    unchanged: int


class FieldErrorOut(Schema):
    field: str
    message: str
    index: int | None = Field(None, description="bulk requests: 0-based position in the list")


class ErrorOut(Schema):
    detail: str
    errors: list[FieldErrorOut]
