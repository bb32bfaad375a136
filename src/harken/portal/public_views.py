"""The public portal at /p/<portal>/…: thin views over `queries` (reads) and `actions` (writes).

Everything works as plain HTML forms; htmx only swaps fragments (vote box, similar ideas). Every
page first decides access with `queries.can_read`: a private or closed portal shows anonymous
visitors its sign-in page and nothing else.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from harken.portal import actions, queries, throttle
from harken.portal.models import Idea, Importance, ModState, Portal, PortalUser, Visibility
from harken.portal.throttle import client_ip
from harken.workspaces.models import Role

SESSION_KEY = "harken.portal.user.{}"


class Ctx:
    """What every public view needs: the portal, the visitor, staff role, and whether they may read."""

    def __init__(self, request: HttpRequest, slug: str) -> None:
        self.portal = get_object_or_404(Portal.objects.select_related("workspace", "product_line"), slug=slug)
        self.user = _session_user(request, self.portal)
        self.staff = queries.staff_role(self.portal, request.user)
        self.visitor = actions.Visitor(self.portal, self.user, client_ip(request))
        self.readable = queries.can_read(self.portal, self.user, self.staff)

    def context(self, **extra: Any) -> dict[str, Any]:
        return {
            "portal": self.portal,
            "portal_user": self.user,
            "staff_role": self.staff,
            "is_staff": self.staff is not None and self.staff.at_least(Role.MEMBER),
            "honeypot": actions.HONEYPOT_FIELD,
            "importances": Importance.choices,
            "accent_ink": queries.accent_ink(self.portal.accent_color),
            **extra,
        }


def _session_user(request: HttpRequest, portal: Portal) -> PortalUser | None:
    pk = request.session.get(SESSION_KEY.format(portal.pk))
    if not pk:
        return None
    return portal.users.select_related("contact").filter(pk=pk).first()


def _gate(request: HttpRequest, ctx: Ctx) -> HttpResponse:
    """The only page a visitor without access sees: no titles, no counts."""
    status = 404 if ctx.portal.visibility == Visibility.CLOSED else 403
    return render(request, "portal/public/gate.html", ctx.context(), status=status)


def _too_many(request: HttpRequest, ctx: Ctx, limited: throttle.Limited) -> HttpResponse:
    response = render(request, "portal/public/limited.html", ctx.context(message=limited.message), status=429)
    response["Retry-After"] = str(limited.retry_after)
    return response


def _limit(kind: str, ctx: Ctx) -> throttle.Limited | None:
    return throttle.hit(kind, f"ip:{ctx.visitor.ip}", f"user:{ctx.user.pk}" if ctx.user else "")


def _idea(ctx: Ctx, pk: int) -> Idea:
    idea = get_object_or_404(ctx.portal.ideas.select_related("feedback", "author"), pk=pk)
    if idea.state != ModState.PUBLISHED and not (ctx.staff or (ctx.user and idea.author_id == ctx.user.pk)):
        raise Http404("No such idea")
    return idea


def _signin_url(portal: Portal, next_path: str = "") -> str:
    url = reverse("portal_public:signin", kwargs={"portal": portal.slug})
    return f"{url}?next={next_path}" if next_path else url


def _errors(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {k: [str(m) for e in v for m in e.messages] for k, v in error.error_dict.items()}
    return {"form": list(error.messages)}


@require_http_methods(["GET"])
def board(request: HttpRequest, portal: str) -> HttpResponse:
    ctx = Ctx(request, portal)
    if not ctx.readable:
        return _gate(request, ctx)
    data = queries.board(ctx.portal, request.GET, ctx.user, staff=bool(ctx.staff))
    template = "portal/public/_list.html" if request.headers.get("HX-Request") else "portal/public/board.html"
    return render(request, template, ctx.context(board=data))


@require_http_methods(["GET"])
def idea(request: HttpRequest, portal: str, pk: int) -> HttpResponse:
    ctx = Ctx(request, portal)
    if not ctx.readable:
        return _gate(request, ctx)
    item = _idea(ctx, pk)
    root = actions.root_idea(item)
    if root.pk != item.pk:
        messages.info(request, f"“{item.title}” was merged into this idea; its votes count here.")
        return redirect("portal_public:idea", portal=ctx.portal.slug, pk=root.pk)
    return render(request, "portal/public/idea.html", ctx.context(page=queries.idea_page(item, ctx.user)))


@require_http_methods(["GET", "POST"])
def new_idea(request: HttpRequest, portal: str) -> HttpResponse:
    ctx = Ctx(request, portal)
    if not ctx.readable:
        return _gate(request, ctx)
    if ctx.user is None:
        return redirect(_signin_url(ctx.portal, request.path))
    errors: dict[str, list[str]] = {}
    title = str(request.POST.get("title") or request.GET.get("title") or "")[:300]
    body = str(request.POST.get("body") or "")
    if request.method == "POST":
        limited = _limit("idea", ctx)
        if limited:
            return _too_many(request, ctx, limited)
        try:
            created = actions.submit_idea(ctx.visitor, title, body, request.POST.get(actions.HONEYPOT_FIELD, ""))
        except ValidationError as error:
            errors = _errors(error)
        except PermissionDenied as error:
            errors = {"form": [str(error)]}
        else:
            if created is None or created.state == ModState.PENDING:
                messages.success(request, "Thanks! Your idea will appear once the team has reviewed it.")
                return redirect("portal_public:board", portal=ctx.portal.slug)
            messages.success(request, "Thanks! Your idea is posted, with your vote.")
            return redirect("portal_public:idea", portal=ctx.portal.slug, pk=created.pk)
    similar = queries.similar_ideas(ctx.portal, title) if title else []
    status = 400 if errors else 200
    return render(
        request,
        "portal/public/new.html",
        ctx.context(title=title, body=body, errors=errors, similar=similar),
        status=status,
    )


@require_http_methods(["GET"])
def similar(request: HttpRequest, portal: str) -> HttpResponse:
    ctx = Ctx(request, portal)
    if not ctx.readable:
        return HttpResponse("", status=403)
    limited = throttle.hit("similar", f"ip:{ctx.visitor.ip}")
    if limited:
        return HttpResponse(limited.message, status=429)
    found = queries.similar_ideas(ctx.portal, str(request.GET.get("title") or ""))
    return render(request, "portal/public/_similar.html", ctx.context(similar=found))


def _after(request: HttpRequest, ctx: Ctx, item: Idea) -> HttpResponse:
    if request.headers.get("HX-Request"):
        return render(request, "portal/public/_vote.html", ctx.context(page=queries.idea_page(item, ctx.user)))
    return redirect("portal_public:idea", portal=ctx.portal.slug, pk=item.pk)


@require_POST
def vote(request: HttpRequest, portal: str, pk: int) -> HttpResponse:
    ctx = Ctx(request, portal)
    if not ctx.readable:
        return _gate(request, ctx)
    item = _idea(ctx, pk)
    if ctx.user is None:
        return redirect(_signin_url(ctx.portal, reverse("portal_public:idea", kwargs={"portal": portal, "pk": pk})))
    limited = _limit("vote", ctx)
    if limited:
        return _too_many(request, ctx, limited)
    try:
        if request.POST.get("action") == "remove":
            actions.unvote(ctx.visitor, item)
        else:
            actions.vote(ctx.visitor, item, str(request.POST.get("importance") or Importance.IMPORTANT))
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        if request.headers.get("HX-Request"):
            return HttpResponse(" ".join(getattr(error, "messages", [str(error)])), status=400)
    item.refresh_from_db()
    return _after(request, ctx, item)


@require_POST
def comment(request: HttpRequest, portal: str, pk: int) -> HttpResponse:
    ctx = Ctx(request, portal)
    if not ctx.readable:
        return _gate(request, ctx)
    item = _idea(ctx, pk)
    if ctx.user is None:
        return redirect(_signin_url(ctx.portal, reverse("portal_public:idea", kwargs={"portal": portal, "pk": pk})))
    limited = _limit("comment", ctx)
    if limited:
        return _too_many(request, ctx, limited)
    try:
        actions.comment(
            ctx.visitor, item, str(request.POST.get("body") or ""), request.POST.get(actions.HONEYPOT_FIELD, "")
        )
    except (ValidationError, PermissionDenied) as error:
        page = queries.idea_page(item, ctx.user)
        return render(
            request,
            "portal/public/idea.html",
            ctx.context(
                page=page,
                comment_error=" ".join(getattr(error, "messages", [str(error)])),
                draft=request.POST.get("body", ""),
            ),
            status=400,
        )
    messages.success(request, "Comment posted.")
    return redirect("portal_public:idea", portal=ctx.portal.slug, pk=item.pk)


@require_POST
def follow(request: HttpRequest, portal: str, pk: int) -> HttpResponse:
    ctx = Ctx(request, portal)
    if not ctx.readable:
        return _gate(request, ctx)
    item = _idea(ctx, pk)
    if ctx.user is None:
        return redirect(_signin_url(ctx.portal, reverse("portal_public:idea", kwargs={"portal": portal, "pk": pk})))
    try:
        on = actions.follow(ctx.visitor, item, request.POST.get("on") != "0")
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    else:
        messages.success(
            request, "You follow this idea: we email you when it changes." if on else "You no longer follow this idea."
        )
    return redirect("portal_public:idea", portal=ctx.portal.slug, pk=item.pk)


@require_http_methods(["GET", "POST"])
def signin(request: HttpRequest, portal: str) -> HttpResponse:
    ctx = Ctx(request, portal)
    next_path = str(request.POST.get("next") or request.GET.get("next") or "")
    sent = False
    error = ""
    email = ""
    if request.method == "POST":
        email = str(request.POST.get("email") or "").strip()[:254]
        if str(request.POST.get(actions.HONEYPOT_FIELD) or "").strip():
            sent = True
        else:
            limited = throttle.hit("signin", f"ip:{ctx.visitor.ip}", f"email:{email.lower()}")
            if limited:
                return _too_many(request, ctx, limited)
            try:
                actions.request_magic_link(ctx.portal, email, next_path)
            except ValidationError as e:
                error = " ".join(e.messages)
            else:
                sent = True
    return render(
        request,
        "portal/public/signin.html",
        ctx.context(sent=sent, error=error, email=email, next=next_path),
        status=400 if error else 200,
    )


@require_http_methods(["GET", "POST"])
def magic(request: HttpRequest, portal: str, token: str) -> HttpResponse:
    """GET shows a button (mail scanners that prefetch links must not use them up); POST signs in."""
    ctx = Ctx(request, portal)
    if request.method == "GET":
        link = actions.lookup_magic_link(ctx.portal, token)
        return render(
            request, "portal/public/magic.html", ctx.context(link=link, token=token), status=200 if link else 400
        )
    try:
        user, next_path = actions.consume_magic_link(ctx.portal, token, str(request.POST.get("name") or ""))
    except ValidationError as error:
        return render(
            request, "portal/public/magic.html", ctx.context(link=None, error=" ".join(error.messages)), status=400
        )
    request.session.cycle_key()
    request.session[SESSION_KEY.format(ctx.portal.pk)] = user.pk
    messages.success(request, f"Signed in as {user.email}.")
    return redirect(next_path or reverse("portal_public:board", kwargs={"portal": ctx.portal.slug}))


@require_POST
def staff_signin(request: HttpRequest, portal: str) -> HttpResponse:
    ctx = Ctx(request, portal)
    try:
        user = actions.staff_sign_in(ctx.portal, request.user)
    except PermissionDenied as error:
        messages.error(request, str(error))
        return redirect("portal_public:signin", portal=ctx.portal.slug)
    request.session[SESSION_KEY.format(ctx.portal.pk)] = user.pk
    messages.success(request, f"Signed in to the portal as {user.display_name} (staff).")
    return redirect("portal_public:board", portal=ctx.portal.slug)


@require_POST
def signout(request: HttpRequest, portal: str) -> HttpResponse:
    ctx = Ctx(request, portal)
    request.session.pop(SESSION_KEY.format(ctx.portal.pk), None)
    messages.success(request, "Signed out.")
    return redirect("portal_public:board", portal=ctx.portal.slug)


@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, portal: str, token: str) -> HttpResponse:
    ctx = Ctx(request, portal)
    record = actions.follow_for_token(ctx.portal, token)
    if request.method == "POST" and record is not None:
        item = actions.unsubscribe(ctx.portal, token)
        return render(request, "portal/public/unsubscribe.html", ctx.context(done=True, idea=item))
    return render(
        request,
        "portal/public/unsubscribe.html",
        ctx.context(record=record, token=token, done=False),
        status=200 if record else 400,
    )


@require_http_methods(["GET"])
def logo(request: HttpRequest, portal: str) -> FileResponse:
    ctx = Ctx(request, portal)
    if not ctx.portal.logo or (ctx.portal.visibility == Visibility.CLOSED and not ctx.staff):
        raise Http404("No logo")
    response = FileResponse(ctx.portal.logo.open("rb"), content_type=ctx.portal.logo_type or "application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response


@require_http_methods(["GET"])
def feed(request: HttpRequest, portal: str) -> HttpResponse:
    """Atom feed of the newest ideas (public portals only: a feed reader cannot sign in)."""
    ctx = Ctx(request, portal)
    if ctx.portal.visibility != Visibility.PUBLIC:
        raise Http404("No feed")
    from feedgen.feed import FeedGenerator

    base = request.build_absolute_uri(reverse("portal_public:board", kwargs={"portal": ctx.portal.slug}))
    fg = FeedGenerator()
    fg.id(base)
    fg.title(ctx.portal.name)
    fg.link(href=base, rel="alternate")
    fg.link(href=request.build_absolute_uri(), rel="self")
    fg.updated(ctx.portal.updated_at)
    for item in queries.live_ideas(ctx.portal).order_by("-created_at")[:50]:
        url = request.build_absolute_uri(
            reverse("portal_public:idea", kwargs={"portal": ctx.portal.slug, "pk": item.pk})
        )
        entry = fg.add_entry(order="append")
        entry.id(url)
        entry.title(item.title)
        entry.link(href=url)
        entry.updated(item.updated_at)
        entry.published(item.created_at)
        entry.summary(item.body[:1000] or item.title)
    return HttpResponse(fg.atom_str(pretty=True), content_type="application/atom+xml; charset=utf-8")
