"""The ideas portal end to end through HTTP: sign-in by magic link, ideas as feedback, votes, merges,
comments, follows and their emails, moderation, private portals, and the API."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from harken.core.taskrun import run_pending_tasks
from harken.customers.models import Account, Contact
from harken.feedback.actions import create_feedback
from harken.feedback.models import Channel
from harken.notify.models import OutboundEmail
from harken.portal import actions, queries
from harken.portal.models import AuditEntry, Idea, IdeaStatus, MagicLink, ModState, Visibility
from tests.base import World, make_token
from tests.portal.helpers import last_link, make_idea, make_portal, sign_in, visitor


@pytest.fixture
def portal(world: World):  # type: ignore[no-untyped-def]
    return make_portal(world.alpha, welcome_text="Tell us what to build")


def test_magic_link_signs_in_once_and_is_stored_hashed(world: World, portal) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    user = sign_in(client, portal, "pat@acme.test", name="Pat")
    assert user.name == "Pat"
    link = MagicLink.objects.get(email="pat@acme.test")
    raw = last_link("pat@acme.test").rstrip("/").rsplit("/", 1)[1]
    assert raw not in link.token_hash and len(link.token_hash) == 64
    assert link.used_at is not None
    # Single use: the same link again is refused with a clear 400, and signs no one in.
    other = Client()
    path = "/" + last_link("pat@acme.test").split("/", 3)[3]
    assert other.post(path).status_code == 400
    assert "no longer works" in other.get(path).content.decode()
    # The signed-in client sees their name; GET of the link page wrote nothing.
    assert "Pat" in client.get(f"/p/{portal.slug}/").content.decode()


def test_expired_link_is_refused(world: World, portal) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.post(f"/p/{portal.slug}/signin/", {"email": "old@acme.test"})
    MagicLink.objects.filter(email="old@acme.test").update(expires_at=timezone.now() - timedelta(seconds=1))
    path = "/" + last_link("old@acme.test").split("/", 3)[3]
    assert client.post(path).status_code == 400
    assert client.get(f"/p/{portal.slug}/new/").status_code == 302  # still anonymous: sent to sign in


def test_idea_becomes_portal_feedback_linked_to_contact_and_account(world: World, portal) -> None:  # type: ignore[no-untyped-def]
    acme = Account.objects.create(workspace=world.alpha, name="Acme", domain="acme.test", arr=Decimal("120000"))
    client = Client()
    sign_in(client, portal, "pat@acme.test")
    response = client.post(f"/p/{portal.slug}/new/", {"title": "Bulk edit tags", "body": "Saves **hours**"})
    assert response.status_code == 302
    idea = Idea.objects.get(title="Bulk edit tags")
    assert idea.feedback is not None and idea.feedback.channel == Channel.PORTAL
    assert idea.feedback.account == acme and idea.feedback.contact is not None
    assert idea.vote_count == 1 and idea.demand_arr == Decimal("120000")
    page = client.get(f"/p/{portal.slug}/ideas/{idea.pk}/").content.decode()
    assert "<strong>hours</strong>" in page
    # It shows in the triage inbox (the feedback list of the workspace).
    inbox = world.client_for(world.bob).get("/w/alpha/feedback/?channel=portal")
    assert inbox.status_code == 200 and "Bulk edit tags" in inbox.content.decode()
    item_page = world.client_for(world.bob).get(f"/w/alpha/feedback/{idea.feedback.pk}/").content.decode()
    assert "On the ideas portal" in item_page and f"/w/alpha/portal/ideas/{idea.pk}/" in item_page
    plain, _ = create_feedback(world.actor(world.bob), text="Charts load slowly")
    assert (
        "On the ideas portal" not in world.client_for(world.bob).get(f"/w/alpha/feedback/{plain.pk}/").content.decode()
    )


def test_votes_count_each_voter_once_across_merges_and_undo(world: World, portal) -> None:  # type: ignore[no-untyped-def]
    a = make_idea(world.alpha, "Export to CSV", email="ann@x.test")
    b = make_idea(world.alpha, "CSV export please", email="ben@y.test")
    actions.vote(visitor(portal, "ben@y.test"), a)  # ben voted for both
    actions.vote(visitor(portal, "cat@z.test"), b)
    a.refresh_from_db(), b.refresh_from_db()
    assert (a.vote_count, b.vote_count) == (2, 2)
    record = actions.merge_ideas(world.actor(world.bob), a, b)
    a.refresh_from_db()
    assert a.vote_count == 3  # ann, ben (once), cat
    with pytest.raises(ValidationError):
        actions.delete_idea(world.actor(world.bob), a)  # would orphan the merged idea
    assert b not in list(queries.live_ideas(portal))
    page = queries.idea_page(a, None)
    assert [i.pk for i in page.merged] == [b.pk]
    # The merged idea's page redirects to the survivor.
    response = Client().get(f"/p/{portal.slug}/ideas/{b.pk}/")
    assert response.status_code == 302 and response["Location"].endswith(f"/ideas/{a.pk}/")
    client = world.client_for(world.bob)
    assert client.post(f"/w/alpha/portal/merges/{record.pk}/undo").status_code == 302
    a.refresh_from_db(), b.refresh_from_db()
    assert (a.vote_count, b.vote_count) == (2, 2)
    assert AuditEntry.objects.filter(action="merge").exists() and AuditEntry.objects.filter(action="unmerge").exists()


def test_staff_vote_on_behalf_is_marked_and_weighted(world: World, portal) -> None:  # type: ignore[no-untyped-def]
    big = Account.objects.create(workspace=world.alpha, name="Big", domain="big.test", arr=Decimal("500000"))
    Contact.objects.create(workspace=world.alpha, account=big, email="cfo@big.test", name="Cee")
    idea = make_idea(world.alpha, "SSO with Okta")
    other = make_idea(world.alpha, "Emoji reactions")
    client = world.client_for(world.bob)
    response = client.post(
        f"/w/alpha/portal/ideas/{idea.pk}/act",
        {"action": "behalf", "email": "cfo@big.test", "importance": "critical", "evidence": "Said so on the QBR call"},
    )
    assert response.status_code == 302
    vote = idea.votes.get(voter__email="cfo@big.test")
    assert vote.on_behalf_by == world.bob and vote.importance == "critical"
    idea.refresh_from_db()
    assert idea.demand_arr == Decimal("500000")
    page = Client().get(f"/p/{portal.slug}/ideas/{idea.pk}/").content.decode()
    assert "Added by the team" in page and "QBR call" in page
    board = queries.board(portal, {"sort": "demand"}, staff=True)
    assert [r.idea.pk for r in board.rows][:2] == [idea.pk, other.pk]
    staff_page = client.get("/w/alpha/portal/ideas/?sort=demand").content.decode()
    assert staff_page.index("SSO with Okta") < staff_page.index("Emoji reactions")


def test_follow_status_change_and_official_reply_email_followers(world: World, portal, mailbox) -> None:  # type: ignore[no-untyped-def]
    idea = make_idea(world.alpha, "Calendar sync")
    client = Client()
    sign_in(client, portal, "fan@fans.test")
    assert client.post(f"/p/{portal.slug}/ideas/{idea.pk}/follow", {"on": "1"}).status_code == 302
    run_pending_tasks()
    before = len(mailbox.messages)
    staff = world.client_for(world.bob)
    staff.post(f"/w/alpha/portal/ideas/{idea.pk}/act", {"action": "status", "status": "planned"})
    staff.post(f"/w/alpha/portal/ideas/{idea.pk}/act", {"action": "reply", "body": "We are on it"})
    run_pending_tasks()
    run_pending_tasks()
    new = [m for m in mailbox.messages[before:] if "fan@fans.test" in m["To"]]
    subjects = sorted(m["Subject"] for m in new)
    assert any("is now planned" in s for s in subjects), subjects
    assert any("Official reply" in s for s in subjects), subjects
    body = new[0].get_content()
    unsubscribe = next(line for line in body.split() if "/unsubscribe/" in line)
    path = "/" + unsubscribe.split("/", 3)[3]
    assert Client().get(path).status_code == 200
    assert Client().post(path).status_code == 200
    assert not idea.follows.filter(user__email="fan@fans.test").exists()
    page = client.get(f"/p/{portal.slug}/ideas/{idea.pk}/").content.decode()
    assert "Official" in page and 'data-status="planned"' in page


def test_approve_before_publish_keeps_ideas_out_until_approved(world: World) -> None:
    portal = make_portal(world.alpha, approve_before_publish=True)
    client = Client()
    sign_in(client, portal, "new@acme.test")
    client.post(f"/p/{portal.slug}/new/", {"title": "A pending idea"})
    idea = Idea.objects.get(title="A pending idea")
    assert idea.state == ModState.PENDING and idea.feedback is None
    assert "A pending idea" not in Client().get(f"/p/{portal.slug}/").content.decode()
    assert Client().get(f"/p/{portal.slug}/ideas/{idea.pk}/").status_code == 404
    staff = world.client_for(world.bob)
    assert "A pending idea" in staff.get("/w/alpha/portal/moderation/").content.decode()
    staff.post(f"/w/alpha/portal/ideas/{idea.pk}/act", {"action": "approve"})
    idea.refresh_from_db()
    assert idea.state == ModState.PUBLISHED and idea.feedback is not None
    staff.post(f"/w/alpha/portal/ideas/{idea.pk}/act", {"action": "spam"})
    idea.refresh_from_db()
    assert idea.state == ModState.SPAM and idea.feedback is None
    assert not world.alpha.feedback_items.filter(title="A pending idea").exists()
    assert (
        world.client_for(world.vera).post(f"/w/alpha/portal/ideas/{idea.pk}/act", {"action": "approve"}).status_code
        == 403
    )


def test_blocked_user_cannot_post_and_votes_stop_counting(world: World, portal) -> None:  # type: ignore[no-untyped-def]
    idea = make_idea(world.alpha, "Webhooks for ideas")
    troll = visitor(portal, "troll@x.test")
    actions.vote(troll, idea)
    idea.refresh_from_db()
    assert idea.vote_count == 2
    actions.set_blocked(world.actor(world.bob), troll.user, True)  # type: ignore[arg-type]
    idea.refresh_from_db()
    assert idea.vote_count == 1
    troll.user.refresh_from_db()  # type: ignore[union-attr]
    with pytest.raises(PermissionDenied):
        actions.submit_idea(troll, "Another one")
    assert actions.request_magic_link(portal, "troll@x.test") is None


def test_vote_stuffing_from_one_ip_is_flagged(world: World, portal) -> None:  # type: ignore[no-untyped-def]
    idea = make_idea(world.alpha, "Stuff me")
    for n in range(6):
        actions.vote(visitor(portal, f"sock{n}@x.test", ip="6.6.6.6"), idea)
    idea.refresh_from_db()
    flagged = idea.votes.filter(flagged=True).count()
    assert flagged == 3 and idea.vote_count == 1 + 3
    page = world.client_for(world.bob).get("/w/alpha/portal/moderation/").content.decode()
    assert "sock5@x.test" in page
    vote = idea.votes.filter(flagged=True).first()
    world.client_for(world.bob).post(f"/w/alpha/portal/votes/{vote.pk}/act", {"action": "keep"})  # type: ignore[union-attr]
    idea.refresh_from_db()
    assert idea.vote_count == 5


def test_honeypot_stores_nothing(world: World, portal) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    sign_in(client, portal, "bot@x.test")
    response = client.post(f"/p/{portal.slug}/new/", {"title": "Buy pills", actions.HONEYPOT_FIELD: "http://spam"})
    assert response.status_code == 302
    assert not Idea.objects.filter(title="Buy pills").exists()
    sent = OutboundEmail.objects.count()
    Client().post(f"/p/{portal.slug}/signin/", {"email": "x@x.test", actions.HONEYPOT_FIELD: "y"})
    assert OutboundEmail.objects.count() == sent


def test_rate_limits_answer_429(world: World, portal, settings) -> None:  # type: ignore[no-untyped-def]
    settings.HARKEN_PORTAL_RATES = {"signin": "3/3600", "idea": "2/600", "vote": "60/600", "comment": "20/600"}
    from django.core.cache import cache

    cache.clear()
    client = Client(REMOTE_ADDR="9.9.9.9")
    codes = [client.post(f"/p/{portal.slug}/signin/", {"email": f"r{n}@x.test"}).status_code for n in range(4)]
    assert codes == [200, 200, 200, 429]
    response = client.post(f"/p/{portal.slug}/signin/", {"email": "r9@x.test"})
    assert "Too many sign-in links" in response.content.decode() and response["Retry-After"]
    cache.clear()
    poster = Client(REMOTE_ADDR="8.8.8.8")
    sign_in(poster, portal, "fast@x.test")
    codes = [poster.post(f"/p/{portal.slug}/new/", {"title": f"Idea number {n}"}).status_code for n in range(3)]
    assert codes == [302, 302, 429]
    assert Idea.objects.filter(title__startswith="Idea number").count() == 2


def test_csrf_is_required_on_every_public_form(world: World, portal) -> None:  # type: ignore[no-untyped-def]
    idea = make_idea(world.alpha)
    client = Client(enforce_csrf_checks=True)
    for path, data in [
        (f"/p/{portal.slug}/signin/", {"email": "a@b.test"}),
        (f"/p/{portal.slug}/new/", {"title": "x"}),
        (f"/p/{portal.slug}/ideas/{idea.pk}/vote", {}),
        (f"/p/{portal.slug}/ideas/{idea.pk}/comment", {"body": "x"}),
        (f"/p/{portal.slug}/ideas/{idea.pk}/follow", {}),
        (f"/p/{portal.slug}/signout", {}),
        (f"/p/{portal.slug}/signin/staff", {}),
    ]:
        assert client.post(path, data).status_code == 403, path


def test_private_portal_leaks_nothing_to_anonymous_visitors(world: World) -> None:
    portal = make_portal(world.alpha, visibility=Visibility.PRIVATE, allowed_domains="acme.test")
    idea = make_idea(world.alpha, "Secret roadmap wish", email="insider@acme.test")
    anon = Client()
    for path in [
        f"/p/{portal.slug}/",
        f"/p/{portal.slug}/?q=Secret",
        f"/p/{portal.slug}/ideas/{idea.pk}/",
        f"/p/{portal.slug}/similar/?title=Secret+roadmap",
        f"/p/{portal.slug}/new/?title=Secret+roadmap",
        f"/p/{portal.slug}/feed.atom",
    ]:
        response = anon.get(path)
        body = response.content.decode()
        assert response.status_code in (403, 404), path
        assert "Secret roadmap" not in body and "vote" not in body.lower().replace("devote", ""), path
    # Outside the allow-list: the same answer, but no email is sent.
    sent = OutboundEmail.objects.count()
    response = anon.post(f"/p/{portal.slug}/signin/", {"email": "stranger@else.test"})
    assert response.status_code == 200 and "Check your inbox" in response.content.decode()
    assert OutboundEmail.objects.count() == sent
    # Allowed domain signs in and sees the idea; an invited outsider too.
    insider = Client()
    sign_in(insider, portal, "colleague@acme.test")
    assert "Secret roadmap wish" in insider.get(f"/p/{portal.slug}/").content.decode()
    actions.invite_user(world.actor(world.bob), portal, "guest@else.test")
    guest = Client()
    sign_in(guest, portal, "guest@else.test")
    assert guest.get(f"/p/{portal.slug}/ideas/{idea.pk}/").status_code == 200
    # Staff see it without a magic link.
    assert world.client_for(world.vera).get(f"/p/{portal.slug}/").status_code == 200


def test_closed_portal_is_offline_for_visitors(world: World) -> None:
    portal = make_portal(world.alpha, visibility=Visibility.CLOSED)
    assert Client().get(f"/p/{portal.slug}/").status_code == 404
    assert world.client_for(world.bob).get(f"/p/{portal.slug}/").status_code == 200
    with pytest.raises(ValidationError):
        actions.request_magic_link(portal, "not-an-email")
    assert actions.request_magic_link(portal, "a@b.test") is None


def test_staff_sign_in_makes_official_comments(world: World, portal) -> None:  # type: ignore[no-untyped-def]
    idea = make_idea(world.alpha)
    client = world.client_for(world.bob)
    assert client.post(f"/p/{portal.slug}/signin/staff").status_code == 302
    client.post(f"/p/{portal.slug}/ideas/{idea.pk}/comment", {"body": "Thanks, noted"})
    comment = idea.comments.get()
    assert comment.official and comment.staff_user == world.bob
    # Outsiders cannot use staff sign-in.
    assert world.client_for(world.charlie).post(f"/p/{portal.slug}/signin/staff").status_code == 302
    assert not portal.users.filter(email=world.charlie.email).exists()


def test_board_sorts_search_and_filters(world: World, portal) -> None:  # type: ignore[no-untyped-def]
    old = make_idea(world.alpha, "Offline mode", email="a@x.test")
    new = make_idea(world.alpha, "Keyboard shortcuts", email="b@x.test")
    Idea.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=30))
    for n in range(3):
        actions.vote(visitor(portal, f"v{n}@x.test", ip=f"1.1.1.{n}"), old)
    actions.set_status(world.actor(world.bob), new, IdeaStatus.IN_PROGRESS)
    client = Client()
    top = client.get(f"/p/{portal.slug}/?sort=top").content.decode()
    assert top.index("Offline mode") < top.index("Keyboard shortcuts")
    newest = client.get(f"/p/{portal.slug}/?sort=newest").content.decode()
    assert newest.index("Keyboard shortcuts") < newest.index("Offline mode")
    found = client.get(f"/p/{portal.slug}/?q=keyboard").content.decode()
    assert "Keyboard shortcuts" in found and "Offline mode" not in found
    filtered = client.get(f"/p/{portal.slug}/?status=in_progress").content.decode()
    assert "Keyboard shortcuts" in filtered and "Offline mode" not in filtered
    partial = client.get(f"/p/{portal.slug}/?sort=top", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and "Offline mode" in partial
    assert client.get(f"/p/{portal.slug}/?sort=%3Cscript%3E&status=nope").status_code == 200


def test_similar_ideas_suggested_while_typing(world: World, portal) -> None:  # type: ignore[no-untyped-def]
    make_idea(world.alpha, "Dark mode for the dashboard")
    make_idea(world.alpha, "Invoices in PDF", email="z@x.test")
    run_pending_tasks()  # embeddings
    response = Client().get(f"/p/{portal.slug}/similar/?title=dashboard+dark+theme")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Dark mode for the dashboard" in body and "Invoices" not in body
    assert Client().get(f"/p/{portal.slug}/similar/?title=zz").content.decode().strip() == ""
    # Words alone (no vectors) still find it.
    assert [i.title for i in queries._similar_by_words("dark dashboard", queries.live_ideas(portal), 5)] == [
        "Dark mode for the dashboard"
    ]


def test_bad_input_gets_4xx_and_loses_nothing(world: World, portal) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    sign_in(client, portal, "typo@x.test")
    response = client.post(f"/p/{portal.slug}/new/", {"title": "", "body": "My long explanation"})
    assert response.status_code == 400 and "My long explanation" in response.content.decode()
    response = client.post(f"/p/{portal.slug}/new/", {"title": "x" * 500, "body": "kept"})
    assert response.status_code == 400 and "kept" in response.content.decode()
    idea = make_idea(world.alpha)
    response = client.post(f"/p/{portal.slug}/ideas/{idea.pk}/comment", {"body": "   "})
    assert response.status_code == 400
    assert client.post(f"/p/{portal.slug}/ideas/{idea.pk}/vote", {"importance": "bogus"}).status_code == 302
    assert Client().post(f"/p/{portal.slug}/signin/", {"email": "nope"}).status_code == 400
    assert Client().get(f"/p/{portal.slug}/signin/garbage/").status_code == 400
    assert Client().get(f"/p/{portal.slug}/unsubscribe/garbage/").status_code == 400
    assert Client().get("/p/no-such-portal/").status_code == 404
    assert Client().get(f"/p/{portal.slug}/ideas/999999/").status_code == 404


def test_portal_settings_validate_logo_and_colour(world: World) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = world.client_for(world.alice)
    svg = SimpleUploadedFile("logo.svg", b"<svg onload=alert(1)>", content_type="image/svg+xml")
    response = client.post(
        "/w/alpha/portal/",
        {"name": "Ideas", "slug": "ideas", "visibility": "public", "accent_color": "#123456", "logo": svg},
    )
    assert response.status_code == 200 and "SVG is not accepted" in response.content.decode()
    png = SimpleUploadedFile("logo.png", b"\x89PNG\r\n\x1a\n" + b"0" * 100, content_type="image/png")
    response = client.post(
        "/w/alpha/portal/",
        {"name": "Ideas", "slug": "ideas", "visibility": "public", "accent_color": "#ffee00", "logo": png},
    )
    assert response.status_code == 302
    portal = world.alpha.portals.get(slug="ideas")
    logo = Client().get("/p/ideas/logo")
    assert logo.status_code == 200 and logo["Content-Type"] == "image/png"
    assert "--portal-ink: #000000" in Client().get("/p/ideas/").content.decode()  # dark text on yellow
    response = client.post(
        f"/w/alpha/portal/{portal.pk}/settings", {"name": "Ideas", "visibility": "public", "accent_color": "red"}
    )
    assert response.status_code == 200 and "hex colour" in response.content.decode()
    assert (
        world.client_for(world.bob).post("/w/alpha/portal/", {"name": "No", "visibility": "public"}).status_code == 403
    )


def test_atom_feed_of_a_public_portal(world: World, portal) -> None:  # type: ignore[no-untyped-def]
    import feedparser

    make_idea(world.alpha, "Feed me <b>ideas</b>")
    response = Client().get(f"/p/{portal.slug}/feed.atom")
    assert response.status_code == 200
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo and parsed.entries[0].title == "Feed me <b>ideas</b>"


def test_api_lists_and_moderates_only_own_workspace(world: World, portal) -> None:  # type: ignore[no-untyped-def]
    idea = make_idea(world.alpha, "API visible idea")
    make_portal(world.bravo)
    make_idea(world.bravo, "Bravo private idea")
    token = make_token(world.alpha, world.alice)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    listed = client.get("/api/portal/ideas?sort=top").json()
    assert [i["title"] for i in listed] == ["API visible idea"]
    assert [p["slug"] for p in client.get("/api/portal/portals").json()] == [portal.slug]
    response = client.post(
        f"/api/portal/ideas/{idea.pk}/status", data=json.dumps({"status": "done"}), content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["status"] == "done"
    response = client.post(
        f"/api/portal/ideas/{idea.pk}/status", data=json.dumps({"status": "nope"}), content_type="application/json"
    )
    assert response.status_code == 422
    response = client.post(
        f"/api/portal/ideas/{idea.pk}/votes",
        data=json.dumps({"email": "caller@acme.test", "evidence": "phone"}),
        content_type="application/json",
    )
    assert response.status_code == 201 and response.json()["on_behalf"] is True
    votes = client.get(f"/api/portal/ideas/{idea.pk}/votes").json()
    assert {v["voter_email"] for v in votes} >= {"caller@acme.test"}


def test_cli_lists_portals_and_top_ideas(world: World, portal) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from harken.cli import app

    make_idea(world.alpha, "Audit log export")
    result = CliRunner().invoke(app, ["portal", "list", "-w", "alpha"], env={"COLUMNS": "200"})
    assert result.exit_code == 0 and portal.slug in result.output
    result = CliRunner().invoke(app, ["portal", "top", "-w", "alpha", "--sort", "top"], env={"COLUMNS": "200"})
    assert result.exit_code == 0 and "Audit log export" in result.output
    result = CliRunner().invoke(app, ["portal", "top", "-w", "alpha", "--sort", "bogus"])
    assert result.exit_code != 0


def test_reads_never_write(world: World, portal) -> None:  # type: ignore[no-untyped-def]
    from django.apps import apps

    idea = make_idea(world.alpha, "Read-only check")
    client = Client()
    client.post(f"/p/{portal.slug}/signin/", {"email": "reader@x.test"})
    link = "/" + last_link("reader@x.test").split("/", 3)[3]

    def counts() -> dict[str, int]:
        models = apps.get_app_config("portal").get_models()
        return {m.__name__: m.objects.count() for m in models} | {"email": OutboundEmail.objects.count()}

    before = counts()
    for path in [
        f"/p/{portal.slug}/",
        f"/p/{portal.slug}/?sort=top&q=read",
        f"/p/{portal.slug}/ideas/{idea.pk}/",
        f"/p/{portal.slug}/similar/?title=read+only",
        f"/p/{portal.slug}/new/",
        f"/p/{portal.slug}/signin/",
        link,
        f"/p/{portal.slug}/feed.atom",
    ]:
        assert client.get(path).status_code in (200, 302), path
    staff = world.client_for(world.bob)
    for path in ["/w/alpha/portal/ideas/", f"/w/alpha/portal/ideas/{idea.pk}/", "/w/alpha/portal/moderation/"]:
        assert staff.get(path).status_code == 200
    assert counts() == before
    assert MagicLink.objects.get(email="reader@x.test").used_at is None  # the GET did not use the link up


def test_htmx_vote_swaps_only_the_vote_box(world: World, portal) -> None:  # type: ignore[no-untyped-def]
    idea = make_idea(world.alpha, "Partial votes")
    client = Client()
    sign_in(client, portal, "hx@x.test")
    response = client.post(
        f"/p/{portal.slug}/ideas/{idea.pk}/vote", {"importance": "nice", "action": "vote"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith('<div class="vote-box"') and "You voted" in html
    assert idea.votes.get(voter__email="hx@x.test").importance == "nice"
    client.post(f"/p/{portal.slug}/ideas/{idea.pk}/vote", {"action": "remove"})
    assert not idea.votes.filter(voter__email="hx@x.test").exists()
