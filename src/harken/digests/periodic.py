"""Digests' periodic job: hourly, because Monday 09:00 is a different hour in each workspace's zone."""

from harken.core.scheduling import periodic
from harken.digests.tasks import send_weekly_digests

periodic("digests.send_weekly_digests", every="hour", at=":20", task=send_weekly_digests)
