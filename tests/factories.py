"""factory_boy factories for the ledger. Amounts are minor units (cents)."""

from __future__ import annotations

import datetime as dt

import factory

from vorder.domain.references import generate
from vorder.ledger.models import Contact, CreditNote, Creditor, Customer, Invoice, Payment


class CreditorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Creditor
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"cred{n}")
    name = factory.Sequence(lambda n: f"Groothandel {n} B.V.")
    country = "NL"
    iban = "NL91ABNA0417164300"
    bic = "ABNANL2A"
    languages = factory.LazyFunction(lambda: ["nl", "en"])


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    creditor = factory.SubFactory(CreditorFactory)
    number = factory.Sequence(lambda n: f"D{n:05d}")
    name = factory.Sequence(lambda n: f"Klant {n} B.V.")
    kind = Customer.Kind.B2B
    country = "NL"
    language = "nl"
    email = factory.Sequence(lambda n: f"crediteuren{n}@example.nl")


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    name = "Jan de Vries"
    email = "jan@example.nl"


class InvoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invoice

    customer = factory.SubFactory(CustomerFactory)
    creditor = factory.SelfAttribute("customer.creditor")
    number = factory.Sequence(lambda n: f"2024-{n:05d}")
    issue_date = dt.date(2024, 1, 1)
    due_date = factory.LazyAttribute(lambda o: o.issue_date + dt.timedelta(days=30))
    currency = "EUR"
    net_minor = 10000
    vat_minor = 2100
    gross_minor = factory.LazyAttribute(lambda o: o.net_minor + o.vat_minor)
    open_minor = factory.LazyAttribute(lambda o: o.gross_minor)
    payment_reference = factory.LazyAttribute(lambda o: generate("rf", o.number))


class CreditNoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CreditNote

    customer = factory.SubFactory(CustomerFactory)
    creditor = factory.SelfAttribute("customer.creditor")
    number = factory.Sequence(lambda n: f"CN-{n:05d}")
    issue_date = dt.date(2024, 2, 1)
    currency = "EUR"
    net_minor = 1000
    vat_minor = 210
    gross_minor = factory.LazyAttribute(lambda o: o.net_minor + o.vat_minor)
    open_minor = factory.LazyAttribute(lambda o: o.gross_minor)


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    customer = factory.SubFactory(CustomerFactory)
    creditor = factory.SelfAttribute("customer.creditor")
    number = factory.Sequence(lambda n: f"PAY-{n:06d}")
    date = dt.date(2024, 2, 15)
    currency = "EUR"
    amount_minor = 12100
    unallocated_minor = factory.LazyAttribute(lambda o: o.amount_minor)
