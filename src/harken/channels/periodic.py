"""Channels' periodic jobs (see harken.core.scheduling)."""

from harken.channels.feeds.tasks import poll_due_feeds
from harken.core.scheduling import periodic

periodic("channels.poll_due_feeds", every="minute", task=poll_due_feeds)
