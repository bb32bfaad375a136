from __future__ import annotations

from django_tasks import task


@task()
def send_weekly_digests() -> int:
    """Monday 09:00 in each workspace's time zone: last week's digest to every recipient."""
    from harken.digests.services import send_weekly_digests as send

    return send()
