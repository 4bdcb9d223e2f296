from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from vorder.common.roles import COLLECTOR, CREDIT_MANAGER, READ_ONLY, can_change, role_of
from vorder.common.services import StaffUserError, staff_user_create, staff_user_set_role

pytestmark = pytest.mark.django_db


def test_a_collector_can_act_but_not_use_the_admin():
    user = staff_user_create(username="anna", role=COLLECTOR, password="s3cret-pass")
    assert role_of(user) == COLLECTOR
    assert can_change(user)
    assert not user.is_staff


def test_a_read_only_user_only_looks():
    user = staff_user_create(username="rob", role=READ_ONLY, password="s3cret-pass")
    assert not can_change(user)


def test_a_user_holds_one_role_at_a_time():
    user = staff_user_create(username="anna", role=COLLECTOR, password="s3cret-pass")
    staff_user_set_role(user=user, role=CREDIT_MANAGER)
    assert list(user.groups.values_list("name", flat=True)) == [CREDIT_MANAGER]
    assert user.is_staff


def test_unknown_roles_and_duplicate_names_are_refused():
    with pytest.raises(StaffUserError, match="role must be one of"):
        staff_user_create(username="x", role="boss", password="p")
    staff_user_create(username="x", role=COLLECTOR, password="p")
    with pytest.raises(StaffUserError, match="exists already"):
        staff_user_create(username="x", role=COLLECTOR, password="p")


def test_the_command_adds_users_with_a_role():
    call_command(
        "user",
        "add",
        "piet",
        "--role",
        "collector",
        "--password",
        "pw-123456",
        stdout=io.StringIO(),
    )
    out = io.StringIO()
    call_command("user", "list", stdout=out)
    assert "piet" in out.getvalue()
    assert "collector" in out.getvalue()
    with pytest.raises(CommandError, match="no user"):
        call_command("user", "role", "nobody", "--role", "collector", stdout=io.StringIO())
