"""The three staff roles, as Django groups. A user's role is the group they are in."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

CREDIT_MANAGER = "credit_manager"
COLLECTOR = "collector"
READ_ONLY = "read_only"
ROLES = (CREDIT_MANAGER, COLLECTOR, READ_ONLY)


def role_of(user: AbstractBaseUser | AnonymousUser) -> str | None:
    """The strongest role the user holds; superusers count as credit managers."""
    if not user.is_authenticated:
        return None
    if getattr(user, "is_superuser", False):
        return CREDIT_MANAGER
    names = set(user.groups.values_list("name", flat=True))  # type: ignore[union-attr]
    return next((role for role in ROLES if role in names), None)


def can_change(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Credit managers and collectors act; read-only users only look."""
    return role_of(user) in (CREDIT_MANAGER, COLLECTOR)
