"""`manage.py tick_periodic`: one scheduler tick, for setups that drive jobs from cron."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from harken.core.scheduling import tick


class Command(BaseCommand):
    help = "Enqueue every periodic job whose latest slot has not run yet (safe to run anywhere, any time)."

    def handle(self, *args: Any, **options: Any) -> None:
        for outcome in tick():
            line = f"{outcome.status:>11}  {outcome.job}  {outcome.slot.isoformat()}"
            self.stdout.write(line + (f"  {outcome.error}" if outcome.error else ""))
