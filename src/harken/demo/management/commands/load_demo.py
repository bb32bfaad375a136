"""`manage.py load_demo [--reset] [--items N]`: the same loader as `harken demo`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from harken.demo import DEMO_PASSWORD, DEMO_USER_EMAIL, load_demo


class Command(BaseCommand):
    help = "Load the Acme Analytics demo workspace (idempotent; --reset rebuilds it)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--reset", action="store_true", help="Delete and rebuild the demo workspace")
        parser.add_argument("--items", type=int, default=2200, help="Feedback items to generate (default 2200)")

    def handle(self, *args: Any, reset: bool, items: int, **options: Any) -> None:
        result = load_demo(items=items, reset=reset)
        verb = "Created" if result.created else "Kept existing"
        self.stdout.write(
            f"{verb} demo workspace {result.workspace.name!r} (/w/{result.workspace.slug}/): "
            f"{result.accounts} accounts, {result.contacts} contacts, {result.feedback} feedback items."
        )
        self.stdout.write(f"Sign in as {DEMO_USER_EMAIL} / {DEMO_PASSWORD}")
