"""The bulk helpers of common.db on the database under test (SQLite or PostgreSQL)."""

from __future__ import annotations

import gc
import json

import pytest
from django.db.models import F

from tests.factories import CreditorFactory, CustomerFactory
from vorder.common.bulk import bulk_work
from vorder.common.db import (
    COPY_FROM,
    AnyOf,
    array_literal,
    create_objects,
    reserve_ids,
    update_rows,
)
from vorder.ledger.models import Creditor, Customer

pytestmark = pytest.mark.django_db

AWKWARD = ["D-1", 'D "2"', "D\\3", "D,4", "{D5}", "D 6", "Dé7", "", "NULL"]


def test_any_of_finds_exactly_the_numbers_asked_for_however_they_are_written(creditor):
    for number in [*AWKWARD, "D-other"]:
        CustomerFactory(creditor=creditor, number=number)

    found = Customer.objects.filter(AnyOf(F("number"), AWKWARD)).values_list("number", flat=True)
    assert sorted(found) == sorted(AWKWARD)


def test_any_of_takes_integer_ids_and_an_empty_list(creditor):
    ids = [CustomerFactory(creditor=creditor).pk for _ in range(3)]
    assert set(Customer.objects.filter(AnyOf(F("id"), ids[:2])).values_list("id", flat=True)) == {
        ids[0],
        ids[1],
    }
    assert not Customer.objects.filter(AnyOf(F("id"), [])).exists()


def test_an_array_literal_quotes_what_postgresql_would_misread():
    assert array_literal([1, 22]) == "{1,22}"
    assert array_literal(['a"b', "c\\d", "e,f"]) == '{"a\\"b","c\\\\d","e,f"}'
    with pytest.raises(TypeError):
        array_literal([None])  # type: ignore[list-item]


@pytest.mark.parametrize("count", [3, COPY_FROM + 1], ids=["values", "copy"])
def test_update_rows_sets_text_json_nulls_and_booleans_on_every_row(creditor, count):
    customers = [
        Customer(creditor=creditor, number=f"D{n:05d}", name=f"Klant {n}") for n in range(count)
    ]
    create_objects(customers)
    assert all(c.pk for c in customers)
    assert Customer.objects.filter(creditor=creditor).count() == count

    update_rows(
        Customer,
        ["name", "tags", "payment_term_days", "on_hold"],
        [
            (c.pk, f'Bakkerij "{n}" ; é', json.dumps(["vip", n]), None if n % 2 else n, n == 1)
            for n, c in enumerate(customers)
        ],
    )

    rows = {c.number: c for c in Customer.objects.filter(creditor=creditor)}
    for n in (0, 1, count - 1):
        row = rows[f"D{n:05d}"]
        assert row.name == f'Bakkerij "{n}" ; é'
        assert row.tags == ["vip", n]
        assert row.payment_term_days == (None if n % 2 else n)
        assert row.on_hold is (n == 1)


def test_any_of_takes_more_keys_than_a_statement_has_parameters(creditor):
    """SQLite allows 32,766 parameters a statement: the keys travel as one JSON array there."""
    ids = [CustomerFactory(creditor=creditor).pk for _ in range(2)]
    many = [*range(10_000_000, 10_040_000), *ids]
    assert set(Customer.objects.filter(AnyOf(F("id"), many)).values_list("id", flat=True)) == set(
        ids
    )
    with pytest.raises(TypeError):
        list(Customer.objects.filter(AnyOf(F("id"), [1.5])))  # type: ignore[list-item]


def test_reserved_ids_are_new_consecutive_and_never_given_twice(creditor):
    existing = CustomerFactory(creditor=creditor).pk
    first = reserve_ids(Customer, 3)
    second = reserve_ids(Customer, 2)
    assert len(set(first + second)) == 5
    assert min(first) > existing
    assert first == list(range(first[0], first[0] + 3))
    assert min(second) > max(first)
    assert reserve_ids(Customer, 0) == []
    later = CustomerFactory(creditor=creditor).pk  # the database's own numbering skips them
    assert later > max(second)
    Customer(pk=first[1], creditor=creditor, number="D-reserved", name="Gereserveerd").save(
        force_insert=True
    )
    assert Customer.objects.get(pk=first[1]).number == "D-reserved"


def test_ids_reserved_in_an_empty_table_are_not_given_again(db):
    assert not Creditor.objects.exists()
    ids = reserve_ids(Creditor, 2)
    assert ids[1] == ids[0] + 1
    assert ids[0] >= 1
    assert CreditorFactory().pk > ids[1]


def test_bulk_work_pauses_the_cyclic_collector_and_gives_it_back():
    assert gc.isenabled()
    with bulk_work():
        assert not gc.isenabled()
        with bulk_work():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer block still runs
    assert gc.isenabled()
    gc.disable()
    try:
        with bulk_work():
            pass
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()
