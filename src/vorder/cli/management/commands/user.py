"""`vorder user add|role|list`: staff logins and their roles."""

from __future__ import annotations

import getpass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError, CommandParser

from vorder.cli.base import VorderCommand
from vorder.common.roles import ROLES, role_of
from vorder.common.services import StaffUserError, staff_user_create, staff_user_set_role


class Command(VorderCommand):
    help = "Manage staff users: credit managers, collectors and read-only users."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{add,role,list}")
        add = sub.add_parser("add", help="add a staff user")
        add.add_argument("username")
        add.add_argument("--role", required=True, choices=ROLES)
        add.add_argument("--email", default="")
        add.add_argument("--name", default="", help="full name")
        add.add_argument("--password", help="asked for when left out")
        role = sub.add_parser("role", help="change a user's role")
        role.add_argument("username")
        role.add_argument("--role", required=True, choices=ROLES)
        sub.add_parser("list", help="list staff users and roles")

    def handle(self, *args: Any, **options: Any) -> None:
        user_model = get_user_model()
        try:
            if options["action"] == "add":
                password = options["password"] or getpass.getpass("Password: ")
                user = staff_user_create(
                    username=options["username"], role=options["role"], password=password,
                    email=options["email"], full_name=options["name"],
                )  # fmt: skip
                self.stdout.write(f"added {user.get_username()} as {options['role']}")
            elif options["action"] == "role":
                try:
                    user = user_model.objects.get(username=options["username"])
                except user_model.DoesNotExist as exc:
                    raise CommandError(f"no user '{options['username']}'") from exc
                staff_user_set_role(user=user, role=options["role"])
                self.stdout.write(f"{user.get_username()} is now {options['role']}")
            else:
                for user in user_model.objects.order_by("username"):
                    self.stdout.write(f"{user.get_username():<20} {role_of(user) or '-'}")
        except StaffUserError as exc:
            raise CommandError(str(exc)) from exc
