"""Staff users and their roles (credit manager, collector, read-only)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group
from django.db import transaction

from vorder.common.roles import CREDIT_MANAGER, ROLES


class StaffUserError(ValueError):
    pass


@transaction.atomic
def staff_user_create(
    *, username: str, role: str, password: str, email: str = "", full_name: str = ""
) -> AbstractUser:
    """A staff login with one role; credit managers may also use the admin for master data."""
    if role not in ROLES:
        raise StaffUserError(f"role must be one of {', '.join(ROLES)}, not '{role}'")
    user_model = get_user_model()
    if user_model.objects.filter(username=username).exists():
        raise StaffUserError(f"user '{username}' exists already")
    first, _, last = full_name.partition(" ")
    user = user_model.objects.create_user(
        username=username, password=password, email=email, first_name=first, last_name=last
    )
    staff_user_set_role(user=user, role=role)
    return user  # type: ignore[return-value]


@transaction.atomic
def staff_user_set_role(*, user: AbstractUser, role: str) -> AbstractUser:
    if role not in ROLES:
        raise StaffUserError(f"role must be one of {', '.join(ROLES)}, not '{role}'")
    user.groups.remove(*Group.objects.filter(name__in=ROLES))
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    user.is_staff = role == CREDIT_MANAGER
    user.save(update_fields=["is_staff"])
    return user


def staff_language_set(*, user: AbstractUser, language: str) -> None:
    """Remember the user's language for every later session, on any device."""
    from django.conf import settings

    from vorder.common.models import StaffPreference

    if language not in dict(settings.LANGUAGES):
        raise StaffUserError(f"language must be one of {', '.join(dict(settings.LANGUAGES))}")
    StaffPreference.objects.update_or_create(user=user, defaults={"language": language})
