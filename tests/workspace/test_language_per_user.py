"""A staff user's language follows them to every session and device."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from vorder.common.services import staff_user_create

pytestmark = pytest.mark.django_db


def test_a_user_who_chose_dutch_gets_dutch_in_a_new_browser():
    staff_user_create(username="anna", role="collector", password="pw-123456")
    first = Client()
    first.login(username="anna", password="pw-123456")
    first.post(reverse("workspace:language"), {"language": "nl", "next": "/"})

    other_browser = Client()
    other_browser.login(username="anna", password="pw-123456")
    page = other_browser.get(reverse("workspace:dashboard"))

    assert page.headers["Content-Language"] == "nl"


def test_an_unknown_language_changes_nothing():
    staff_user_create(username="anna", role="collector", password="pw-123456")
    client = Client()
    client.login(username="anna", password="pw-123456")
    client.post(reverse("workspace:language"), {"language": "xx", "next": "/"})
    assert client.get(reverse("workspace:dashboard")).headers["Content-Language"] == "en"
