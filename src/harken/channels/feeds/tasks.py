"""Background polling: the periodic job finds due feeds, each poll runs as its own task."""

from __future__ import annotations

import logging

from django_tasks import task

from harken.channels.feeds.models import Feed

log = logging.getLogger(__name__)


@task()
def poll_feed_task(feed_id: int) -> str:
    """Poll one feed (queued by the periodic job or by "Poll now")."""
    from harken.channels.feeds.services import poll

    feed = Feed.objects.select_related("workspace", "product_line").filter(pk=feed_id).first()
    if feed is None:
        return "gone"
    return poll(feed).outcome


@task()
def poll_due_feeds() -> int:
    """Queue a poll for every enabled feed whose next poll time has come."""
    from harken.channels.feeds.services import claim_due

    claimed = claim_due()
    for feed_id in claimed:
        poll_feed_task.enqueue(feed_id)
    if claimed:  # runs every minute: silent when no feed is due
        log.info("Queued a poll of %d due feed(s)", len(claimed))
    return len(claimed)
