"""Background work of the portal: emails to an idea's followers, through the outbox."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django_tasks import task

from harken.portal.models import Comment, Idea


@task(queue_name="mail")
def notify_followers(
    idea_id: int, event: str, comment_id: int | None = None, exclude_user_id: int | None = None
) -> int:
    """Queue one email per follower (status change or new official comment); returns how many."""
    from harken.notify.services import queue_email
    from harken.portal.actions import unsubscribe_url
    from harken.portal.status import shown_status

    idea = Idea.objects.select_related("portal", "workspace").filter(pk=idea_id).first()
    if idea is None:
        return 0
    portal = idea.portal
    url = settings.SITE_URL + reverse("portal_public:idea", kwargs={"portal": portal.slug, "pk": idea.pk})
    if event == "status":
        status = shown_status(idea)
        subject = f"[{portal.name}] “{idea.title}” is now {status.label.lower()}"
        lead = f"The status of an idea you follow changed to: {status.label}."
    else:
        record = Comment.objects.filter(pk=comment_id, idea=idea).first() if comment_id else None
        if record is None:
            return 0
        subject = f"[{portal.name}] Official reply on “{idea.title}”"
        lead = f"The {portal.name} team replied:\n\n{record.body}"
    sent = 0
    with transaction.atomic():
        follows = idea.follows.select_related("user", "idea__portal").filter(user__blocked_at__isnull=True)
        if exclude_user_id:
            follows = follows.exclude(user_id=exclude_user_id)
        for follow in follows:
            unsubscribe = unsubscribe_url(follow)
            queue_email(
                to=follow.user.email,
                subject=subject,
                text=(
                    f"Hello {follow.user.display_name},\n\n{lead}\n\nIdea: {idea.title}\n{url}\n\n"
                    f"You get this because you follow this idea. Stop following it: {unsubscribe}"
                ),
                headers={"List-Unsubscribe": f"<{unsubscribe}>"},
                workspace=idea.workspace,
                kind=f"portal.{event}",
                related_object=f"portal.idea:{idea.pk}",
            )
            sent += 1
    return sent
