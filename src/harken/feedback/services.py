"""Every write to the feedback record, plus the queries the inbox, the overview and the API share.

Channels, the CSV import, the manual form and the API all create feedback through
`create_feedback`, so validation, sender matching, tagging and idempotency behave the same
whichever way evidence arrives.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from importlib import import_module
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone

from harken.core.charts import bar_chart, delta, hbar_rows, sparkline
from harken.customers.models import Account, Contact, Segment
from harken.feedback.models import Channel, Feedback, Tag
from harken.feedback.signals import feedback_created, feedback_deleted, feedback_updated
from harken.workspaces.access import Actor
from harken.workspaces.models import ProductLine, Role, Workspace

MAX_TEXT_BYTES = 1_000_000  # 1 MB: anything larger is an attachment, not feedback
MAX_TITLE_CHARS = 300
MAX_TAG_CHARS = 60
MAX_TAGS = 30
MAX_DEDUPE_KEY = 400

# Senders on these domains say nothing about which company they work for.
FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "yahoo.co.uk",
        "hotmail.com",
        "hotmail.co.uk",
        "outlook.com",
        "live.com",
        "msn.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "mail.com",
        "yandex.com",
        "yandex.ru",
        "zoho.com",
        "fastmail.com",
        "hey.com",
        "qq.com",
        "163.com",
    }
)


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()
"""Marks an `update_feedback` argument that was not given (None means "clear it")."""


# --- sender matching -------------------------------------------------------------------------


def email_domain(email: str) -> str:
    return email.rsplit("@", 1)[1].strip().lower() if "@" in email else ""


def _match_sender_fallback(workspace: Workspace, email: str) -> tuple[Contact | None, Account | None]:
    """Exact contact email first, else the account owning the sender's (non free-mail) domain."""
    email = (email or "").strip()
    if not email:
        return None, None
    contact = workspace.contacts.select_related("account").filter(email__iexact=email).first()
    if contact is not None:
        return contact, contact.account
    domain = email_domain(email)
    if not domain or domain in FREE_MAIL_DOMAINS:
        return None, None
    return None, workspace.accounts.filter(domain__iexact=domain).first()


def match_sender(workspace: Workspace, email: str) -> tuple[Contact | None, Account | None]:
    """Prefer the customers app's matcher (it may know more rules); fall back to ours."""
    try:
        matcher = import_module("harken.customers.services").match_sender
    except (ImportError, AttributeError):
        matcher = _match_sender_fallback
    contact, account = matcher(workspace, email)
    return contact, account


def _customer_services() -> Any | None:
    try:
        return import_module("harken.customers.services")
    except ImportError:
        return None


# --- validation helpers ------------------------------------------------------------------------


def _clean_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "Feedback text is empty: paste what the customer said."})
    size = len(text.encode("utf-8"))
    if size > MAX_TEXT_BYTES:
        raise ValidationError(
            {"text": f"Feedback text is {size / 1_000_000:.1f} MB; the limit is 1 MB. Attach long documents elsewhere."}
        )
    return text


def _clean_title(title: str) -> str:
    title = " ".join((title or "").split())
    if len(title) > MAX_TITLE_CHARS:
        raise ValidationError({"title": f"Title is {len(title)} characters; keep it to {MAX_TITLE_CHARS}."})
    return title


def _clean_email(email: str) -> str:
    email = (email or "").strip()
    if not email:
        return ""
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"author_email": f"“{email[:100]}” is not a valid email address."}) from None
    local, _, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


def _check_owned(workspace: Workspace, obj: Any, label: str) -> None:
    if obj is not None and obj.workspace_id != workspace.pk:
        raise ValidationError(f"That {label} belongs to another workspace.")


def _ensure_aware(value: datetime, workspace: Workspace) -> datetime:
    if timezone.is_naive(value):
        return timezone.make_aware(value, _tz(workspace))
    return value


def _tz(workspace: Workspace) -> ZoneInfo:
    try:
        return ZoneInfo(workspace.timezone or "UTC")
    except Exception:  # an unknown zone name must not break the page
        return ZoneInfo("UTC")


def _bounded_key(prefix: str, value: str) -> str:
    """Keys longer than the column are replaced by a hash of themselves (still stable)."""
    key = f"{prefix}{value}"
    if len(key) <= MAX_DEDUPE_KEY:
        return key
    return f"{prefix}sha256:{hashlib.sha256(value.encode()).hexdigest()}"


def external_dedupe_key(channel: str, external_id: str) -> str:
    return _bounded_key(f"ext:{channel}:", external_id)


# --- tags --------------------------------------------------------------------------------------


def parse_tag_names(value: str | Iterable[str]) -> list[str]:
    """ "Billing, export ,billing" → ["Billing", "export"]: trimmed, de-duplicated case-insensitively."""
    raw = value.split(",") if isinstance(value, str) else list(value)
    names: list[str] = []
    seen: set[str] = set()
    for item in raw:
        name = " ".join(str(item).split())
        if not name:
            continue
        if len(name) > MAX_TAG_CHARS:
            raise ValidationError({"tags": f"Tag “{name[:30]}…” is longer than {MAX_TAG_CHARS} characters."})
        if name.lower() not in seen:
            seen.add(name.lower())
            names.append(name)
    if len(names) > MAX_TAGS:
        raise ValidationError({"tags": f"{len(names)} tags given; at most {MAX_TAGS} per item."})
    return names


def get_or_create_tags(workspace: Workspace, names: str | Iterable[str]) -> list[Tag]:
    """Reuse an existing tag whatever its case ("billing" finds "Billing"); create the rest.

    `names` is a list of names or one comma-separated string (as CSV columns carry them).
    """
    tags: list[Tag] = []
    for name in parse_tag_names(names if isinstance(names, str) else list(names)):
        tag = workspace.tags.filter(name__iexact=name).first()
        if tag is None:
            try:
                with transaction.atomic():
                    tag = Tag.objects.create(workspace=workspace, name=name)
            except IntegrityError:  # created concurrently
                tag = workspace.tags.filter(name__iexact=name).first()
                if tag is None:
                    raise
        tags.append(tag)
    return tags


def add_tag(actor: Actor, item: Feedback, name: str) -> Tag:
    actor.require(Role.MEMBER)
    _check_owned(actor.workspace, item, "feedback item")
    names = parse_tag_names([name])
    if not names:
        raise ValidationError({"tags": "Type a tag name."})
    with transaction.atomic():
        (tag,) = get_or_create_tags(actor.workspace, names)
        item.tags.add(tag)
        feedback_updated.send(sender=Feedback, feedback=item, actor=actor, changed=frozenset({"tags"}))
    return tag


def remove_tag(actor: Actor, item: Feedback, tag: Tag) -> None:
    actor.require(Role.MEMBER)
    _check_owned(actor.workspace, item, "feedback item")
    _check_owned(actor.workspace, tag, "tag")
    with transaction.atomic():
        item.tags.remove(tag)
        feedback_updated.send(sender=Feedback, feedback=item, actor=actor, changed=frozenset({"tags"}))


def rename_tag(actor: Actor, tag: Tag, new_name: str) -> Tag:
    """Renaming onto an existing tag merges the two, so no item loses its tag."""
    actor.require(Role.MEMBER)
    _check_owned(actor.workspace, tag, "tag")
    names = parse_tag_names([new_name])
    if not names:
        raise ValidationError({"name": "Type the new tag name."})
    with transaction.atomic():
        other = actor.workspace.tags.filter(name__iexact=names[0]).exclude(pk=tag.pk).first()
        if other is None:
            tag.name = names[0]
            tag.save(update_fields=["name", "updated_at"])
            return tag
        for item in tag.feedback_items.all():
            item.tags.add(other)
        tag.delete()
        return other


def delete_tag(actor: Actor, tag: Tag) -> None:
    actor.require(Role.MEMBER)
    _check_owned(actor.workspace, tag, "tag")
    tag.delete()


def resolve_product_line(workspace: Workspace, value: Any) -> ProductLine | None:
    """Accept a ProductLine, its id, slug or (case-insensitive) name; None/"" means none."""
    if value in (None, ""):
        return None
    if isinstance(value, ProductLine):
        _check_owned(workspace, value, "product line")
        return value
    text = str(value).strip()
    lines = workspace.product_lines.all()
    found = lines.filter(slug=text).first() or lines.filter(name__iexact=text).first()
    if found is None and text.isdigit():
        found = lines.filter(pk=int(text)).first()
    if found is None:
        known = ", ".join(lines.values_list("slug", flat=True)[:20]) or "none yet"
        raise ValidationError({"product_line": f"No product line “{text[:60]}” in this workspace (known: {known})."})
    return found


# --- create / update / delete ------------------------------------------------------------------


def _find_existing(workspace: Workspace, dedupe_key: str) -> Feedback | None:
    return workspace.feedback_items.filter(dedupe_key=dedupe_key).first()


@transaction.atomic
def create_feedback(
    actor: Actor,
    *,
    text: str,
    title: str = "",
    channel: str = Channel.MANUAL,
    author_email: str = "",
    author_name: str = "",
    account: Account | None = None,
    contact: Contact | None = None,
    product_line: ProductLine | None = None,
    tags: str | Iterable[str] = (),
    received_at: datetime | None = None,
    external_id: str = "",
    dedupe_key: str | None = None,
    raw_payload: str = "",
    raw_content_type: str = "",
) -> tuple[Feedback, bool]:
    """Create one item, or return the existing one with created=False when its dedupe key is known.

    `feedback_created` is sent inside this transaction.
    """
    actor.require(Role.MEMBER)
    workspace = actor.workspace
    channel = str(channel)
    if channel not in Channel.values:
        raise ValidationError({"channel": f"Unknown channel “{channel[:40]}”; use one of {', '.join(Channel.values)}."})
    external_id = (external_id or "").strip()
    if len(external_id) > 300:
        raise ValidationError({"external_id": "External id is longer than 300 characters."})
    if not dedupe_key and external_id:
        dedupe_key = external_dedupe_key(channel, external_id)
    if dedupe_key and len(dedupe_key) > MAX_DEDUPE_KEY:
        dedupe_key = _bounded_key("", dedupe_key)
    dedupe_key = dedupe_key or None

    if dedupe_key:
        existing = _find_existing(workspace, dedupe_key)
        if existing is not None:
            return existing, False

    text = _clean_text(text)
    title = _clean_title(title)
    author_email = _clean_email(author_email)
    author_name = " ".join((author_name or "").split())[:200]
    for obj, label in ((account, "account"), (contact, "contact"), (product_line, "product line")):
        _check_owned(workspace, obj, label)

    if contact is None and account is None and author_email:
        contact, account = match_sender(workspace, author_email)
    elif contact is not None and account is None:
        account = contact.account
    if contact is not None and not author_email:
        author_email = contact.email
    if contact is not None and not author_name:
        author_name = contact.name

    tag_objects = get_or_create_tags(workspace, tags)
    received = _ensure_aware(received_at, workspace) if received_at else timezone.now()

    try:
        with transaction.atomic():  # savepoint: a concurrent duplicate must not poison the outer transaction
            item = Feedback.objects.create(
                workspace=workspace,
                title=title,
                text=text,
                channel=channel,
                contact=contact,
                account=account,
                author_email=author_email,
                author_name=author_name,
                product_line=product_line,
                received_at=received,
                external_id=external_id,
                dedupe_key=dedupe_key,
                raw_payload=raw_payload or "",
                raw_content_type=(raw_content_type or "")[:100],
                created_by=actor.user,
            )
    except IntegrityError:
        if dedupe_key:
            existing = _find_existing(workspace, dedupe_key)
            if existing is not None:
                return existing, False
        raise
    if tag_objects:
        item.tags.set(tag_objects)
    feedback_created.send(sender=Feedback, feedback=item, actor=actor)
    return item, True


def update_feedback(
    actor: Actor,
    item: Feedback,
    *,
    title: Any = UNSET,
    text: Any = UNSET,
    product_line: Any = UNSET,
    tags: Any = UNSET,
    account: Any = UNSET,
    contact: Any = UNSET,
) -> Feedback:
    """Change what was given; None clears a relation. A new contact brings its account along."""
    actor.require(Role.MEMBER)
    workspace = actor.workspace
    _check_owned(workspace, item, "feedback item")
    changed: set[str] = set()
    if title is not UNSET:
        value = _clean_title(title or "")
        if value != item.title:
            item.title = value
            changed.add("title")
    if text is not UNSET:
        value = _clean_text(text or "")
        if value != item.text:
            item.text = value
            changed.add("text")
    if product_line is not UNSET:
        line = resolve_product_line(workspace, product_line)
        if line != item.product_line:
            item.product_line = line
            changed.add("product_line")
    if contact is not UNSET:
        _check_owned(workspace, contact, "contact")
        if contact != item.contact:
            item.contact = contact
            changed.add("contact")
            if account is UNSET and contact is not None and contact.account_id:
                account = contact.account
    if account is not UNSET:
        _check_owned(workspace, account, "account")
        if account != item.account:
            item.account = account
            changed.add("account")
    tag_objects = get_or_create_tags(workspace, parse_tag_names(tags)) if tags is not UNSET else None
    with transaction.atomic():
        if changed:
            item.save()
        if tag_objects is not None and {t.pk for t in tag_objects} != set(item.tags.values_list("pk", flat=True)):
            item.tags.set(tag_objects)
            changed.add("tags")
        if changed:
            feedback_updated.send(sender=Feedback, feedback=item, actor=actor, changed=frozenset(changed))
    return item


def delete_feedback(actor: Actor, item: Feedback) -> None:
    actor.require(Role.MEMBER)
    _check_owned(actor.workspace, item, "feedback item")
    with transaction.atomic():
        feedback_deleted.send(sender=Feedback, feedback=item, actor=actor)
        item.delete()


# --- search ------------------------------------------------------------------------------------

SORTS = {"newest": ("-received_at", "-id"), "oldest": ("received_at", "id")}


@dataclass
class FeedbackFilters:
    """The inbox/API filters, parsed once; `errors` tells people which value was ignored and why."""

    q: str = ""
    channel: str = ""
    product_line: str = ""
    tag: str = ""
    account: int | None = None
    segment: str = ""
    since: date | None = None
    until: date | None = None
    has_account: bool | None = None
    sort: str = "newest"
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> FeedbackFilters:
        def get(key: str) -> str:
            value = params.get(key)
            return str(value).strip() if value not in (None,) else ""

        f = cls(q=get("q")[:200], tag=get("tag"), segment=get("segment"), product_line=get("product_line"))
        channel = get("channel")
        if channel:
            if channel in Channel.values:
                f.channel = channel
            else:
                f.errors.append(f"Unknown channel “{channel[:40]}” ignored.")
        account = get("account")
        if account:
            if account.isdigit():
                f.account = int(account)
            else:
                f.errors.append("Account must be an account id; ignored.")
        for key in ("since", "until"):
            value = get(key)
            if value:
                try:
                    setattr(f, key, date.fromisoformat(value[:10]))
                except ValueError:
                    f.errors.append(f"“{value[:20]}” is not a date (use YYYY-MM-DD); {key} ignored.")
        has_account = get("has_account").lower()
        if has_account in ("1", "yes", "true"):
            f.has_account = True
        elif has_account in ("0", "no", "false"):
            f.has_account = False
        sort = get("sort") or "newest"
        if sort in SORTS:
            f.sort = sort
        else:
            f.errors.append(f"Unknown sort “{sort[:20]}”; showing newest first.")
        return f

    @property
    def active(self) -> bool:
        return any(
            [self.q, self.channel, self.product_line, self.tag, self.account, self.segment, self.since, self.until]
        ) or (self.has_account is not None)


def segment_accounts(workspace: Workspace, segment: Segment) -> QuerySet[Account]:
    """Accounts in a saved segment: the customers app's filter engine, else the account's segment label."""
    module = _customer_services()
    engine = getattr(module, "filter_accounts", None) if module else None
    if engine is not None:
        result = engine(workspace, segment.filters)
        if isinstance(result, QuerySet):
            return result
        return workspace.accounts.filter(pk__in=[a.pk for a in result])
    return workspace.accounts.filter(segment__iexact=segment.name)


def search_feedback(workspace: Workspace, params: Mapping[str, Any] | FeedbackFilters) -> QuerySet[Feedback]:
    """The workspace's feedback narrowed by the inbox filters (see FeedbackFilters)."""
    f = params if isinstance(params, FeedbackFilters) else FeedbackFilters.from_params(params)
    qs = (
        workspace.feedback_items.filter(merged_into__isnull=True)
        .select_related("account", "contact", "product_line")
        .prefetch_related("tags")
    )
    if f.q:  # words (typos forgiven) or meaning: harken.insight.search
        from harken.insight.search import text_query

        qs = text_query(workspace, qs, f.q)
    if f.channel:
        qs = qs.filter(channel=f.channel)
    if f.product_line:
        qs = qs.filter(
            Q(product_line__slug=f.product_line)
            | Q(product_line__name__iexact=f.product_line)
            | (Q(product_line__pk=int(f.product_line)) if f.product_line.isdigit() else Q(pk__in=[]))
        )
    if f.tag:
        qs = qs.filter(tags__name__iexact=f.tag)
    if f.account is not None:
        qs = qs.filter(account_id=f.account)
    if f.segment:
        segment = workspace.segments.filter(name__iexact=f.segment).first()
        if segment is None:
            f.errors.append(f"No segment “{f.segment[:60]}”; showing nothing.")
            qs = qs.none()
        else:
            try:
                qs = qs.filter(account__in=segment_accounts(workspace, segment))
            except ValidationError as exc:
                f.errors.append(
                    f"Segment “{segment.name}” has filters that no longer apply ({' '.join(exc.messages)})."
                )
                qs = qs.none()
    tz = _tz(workspace)
    if f.since:
        qs = qs.filter(received_at__gte=datetime.combine(f.since, time.min, tzinfo=tz))
    if f.until:
        qs = qs.filter(received_at__lt=datetime.combine(f.until + timedelta(days=1), time.min, tzinfo=tz))
    if f.has_account is not None:
        qs = qs.filter(account__isnull=not f.has_account)
    return qs.distinct().order_by(*SORTS[f.sort])


# --- overview ----------------------------------------------------------------------------------


def weekly_counts(workspace: Workspace, weeks: int = 52, now: datetime | None = None) -> list[tuple[date, int]]:
    """Feedback per ISO week (Monday start, workspace time zone), oldest first, empty weeks included."""
    tz = _tz(workspace)
    now = (now or timezone.now()).astimezone(tz)
    this_monday = now.date() - timedelta(days=now.weekday())
    first = this_monday - timedelta(weeks=weeks - 1)
    start = datetime.combine(first, time.min, tzinfo=tz)
    rows = (
        workspace.feedback_items.filter(received_at__gte=start)
        .annotate(week=TruncWeek("received_at", tzinfo=tz))
        .values("week")
        .annotate(n=Count("id"))
    )
    counts: dict[date, int] = {}
    for row in rows:
        week = row["week"]
        key = week.astimezone(tz).date() if isinstance(week, datetime) else week
        counts[key] = counts.get(key, 0) + row["n"]
    return [(first + timedelta(weeks=i), counts.get(first + timedelta(weeks=i), 0)) for i in range(weeks)]


def overview(workspace: Workspace, now: datetime | None = None) -> dict[str, Any]:
    """Everything the workspace home page shows, computed here so the template only draws.

    A PM opens this every morning: each number comes with the previous period to compare against."""
    now = now or timezone.now()
    items = workspace.feedback_items.all()
    week_ago, month_ago, quarter_ago = now - timedelta(days=7), now - timedelta(days=30), now - timedelta(days=90)
    heard = workspace.accounts.filter(feedback_items__received_at__gte=quarter_ago).distinct()
    arr = workspace.accounts.filter(pk__in=heard.values("pk")).aggregate(total=Sum("arr"))["total"] or Decimal(0)
    # the previous period of the same length, for the deltas on the stat cards
    prev_heard = workspace.accounts.filter(
        feedback_items__received_at__gte=quarter_ago - timedelta(days=90), feedback_items__received_at__lt=quarter_ago
    ).distinct()
    prev_arr = workspace.accounts.filter(pk__in=prev_heard.values("pk")).aggregate(total=Sum("arr"))["total"] or 0

    weekly = weekly_counts(workspace, 52, now)
    chart = bar_chart(
        [(week.isoformat(), n) for week, n in weekly],
        "Feedback per week, last 12 months",
        caption="Weeks start on Monday; the last bar is the current week. Hover a bar for its count.",
        width=960,
        height=220,
    )

    channel_labels = dict(Channel.choices)
    by_channel = items.values("channel").annotate(n=Count("id")).order_by("-n")
    total = items.count()
    channel_rows = hbar_rows(
        [
            {
                "label": channel_labels.get(r["channel"], r["channel"]),
                "value": r["n"],
                "channel": r["channel"],
                "share": round(100 * r["n"] / total, 1) if total else 0,
                "display": f"{r['n']} · {round(100 * r['n'] / total) if total else 0}%",
            }
            for r in by_channel
        ]
    )

    top = (
        workspace.accounts.filter(feedback_items__received_at__gte=quarter_ago)
        .annotate(n=Count("feedback_items", filter=Q(feedback_items__received_at__gte=quarter_ago)))
        .order_by("-n", "name")[:8]
    )
    top_accounts = hbar_rows([{"label": a.name, "value": a.n, "account": a} for a in top])

    this_week = items.filter(received_at__gte=week_ago).count()
    prev_week = items.filter(received_at__gte=week_ago - timedelta(days=7), received_at__lt=week_ago).count()
    this_month = items.filter(received_at__gte=month_ago).count()
    prev_month = items.filter(received_at__gte=month_ago - timedelta(days=30), received_at__lt=month_ago).count()
    accounts_heard = heard.count()
    recent_weeks = [n for _, n in weekly[-12:]]
    stats = [
        {
            "label": "New this week",
            "value": this_week,
            "delta": delta(this_week, prev_week, higher_is_good=None),
            "compare": f"vs {prev_week} the week before",
            "sub": "last 7 days",
            "spark": sparkline(recent_weeks, title="Feedback per week, last 12 weeks"),
        },
        {
            "label": "Last 30 days",
            "value": this_month,
            "delta": delta(this_month, prev_month, higher_is_good=None),
            "compare": f"vs {prev_month} the 30 days before",
            "sub": f"{total} items in all",
        },
        {
            "label": "Accounts heard from",
            "value": accounts_heard,
            "delta": delta(accounts_heard, prev_heard.count()),
            "compare": "vs the 90 days before",
            "sub": "last 90 days",
        },
        {
            "label": "ARR represented",
            "value_money": arr,
            "delta": delta(float(arr), float(prev_arr)),
            "compare": "vs the 90 days before",
            "sub": "of the accounts heard from",
        },
    ]

    return {
        "total": total,
        "this_week": this_week,
        "this_month": this_month,
        "accounts_heard": accounts_heard,
        "arr_represented": arr,
        "stats": stats,
        "weekly_chart": chart,
        "weekly_total": sum(n for _, n in weekly),
        "channels": channel_rows,
        "top_accounts": top_accounts,
        "top_by_arr": _top_accounts_by_arr(workspace, quarter_ago, now),
        "rising_tags": _rising_tags(workspace, month_ago, now),
        "latest": list(items.select_related("account", "contact").prefetch_related("tags")[:8]),
    }


def _top_accounts_by_arr(workspace: Workspace, since: datetime, now: datetime, limit: int = 8) -> list[dict[str, Any]]:
    """The biggest customers who spoke up recently, with how much they said and a 12-week trend."""
    accounts = list(
        workspace.accounts.filter(feedback_items__received_at__gte=since)
        .annotate(n=Count("feedback_items", filter=Q(feedback_items__received_at__gte=since)))
        .order_by("-arr", "name")[:limit]
    )
    if not accounts:
        return []
    tz = _tz(workspace)
    local_now = now.astimezone(tz)
    first = local_now.date() - timedelta(days=local_now.weekday()) - timedelta(weeks=11)
    start = datetime.combine(first, time.min, tzinfo=tz)
    counts: dict[tuple[int, date], int] = {}
    for row in (
        workspace.feedback_items.filter(account__in=accounts, received_at__gte=start)
        .annotate(week=TruncWeek("received_at", tzinfo=tz))
        .values("account_id", "week")
        .annotate(n=Count("id"))
    ):
        week = row["week"].astimezone(tz).date() if isinstance(row["week"], datetime) else row["week"]
        counts[(row["account_id"], week)] = counts.get((row["account_id"], week), 0) + row["n"]
    top_n = max(a.n for a in accounts) or 1
    rows = []
    for account in accounts:
        series = [counts.get((account.pk, first + timedelta(weeks=i)), 0) for i in range(12)]
        rows.append(
            {
                "account": account,
                "count": account.n,
                "pct": round(100 * account.n / top_n),
                "spark": sparkline(
                    series, width=96, height=24, title=f"{account.name}: feedback per week, last 12 weeks"
                ),
                "renewal_days": (account.renewal_date - local_now.date()).days if account.renewal_date else None,
            }
        )
    return rows


def _rising_tags(workspace: Workspace, since: datetime, now: datetime, limit: int = 10) -> list[dict[str, Any]]:
    """Tags mentioned most since `since` (30 days), with the change vs the period of the same length before."""
    prev_since = since - (now - since)
    tags = (
        workspace.tags.annotate(
            n=Count("feedback_items", filter=Q(feedback_items__received_at__gte=since), distinct=True),
            prev=Count(
                "feedback_items",
                filter=Q(feedback_items__received_at__gte=prev_since, feedback_items__received_at__lt=since),
                distinct=True,
            ),
        )
        .filter(n__gt=0)
        .order_by("-n", "name")[:limit]
    )
    return hbar_rows(
        [{"label": t.name, "value": t.n, "tag": t, "delta": delta(t.n, t.prev, higher_is_good=None)} for t in tags]
    )
