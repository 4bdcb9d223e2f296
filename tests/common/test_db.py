"""The bulk helpers of common.db on the database under test (SQLite or PostgreSQL)."""

from __future__ import annotations

import pytest
from django.db.models import F

from tests.factories import CustomerFactory
from vorder.common.db import AnyOf, array_literal
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
