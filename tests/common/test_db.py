"""The bulk helpers of common.db on the database under test (SQLite or PostgreSQL)."""

from __future__ import annotations

import json

import pytest
from django.db.models import F

from tests.factories import CustomerFactory
from vorder.common.db import COPY_FROM, AnyOf, array_literal, create_objects, update_rows
from vorder.ledger.models import Customer

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
