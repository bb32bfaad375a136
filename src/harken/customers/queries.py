"""Reads of accounts, contacts and segments: value parsing, segment filters, lists and overviews.
Nothing here writes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Lower, TruncMonth
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from harken.core.charts import bar_chart
from harken.customers.models import Account, Contact, LifecycleStage, Segment
from harken.workspaces.models import Workspace

# Senders on these domains say nothing about which company they work for.
FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "hotmail.co.uk",
        "live.com",
        "msn.com",
        "yahoo.com",
        "yahoo.co.uk",
        "ymail.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "pm.me",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "mail.com",
        "zoho.com",
        "yandex.com",
        "yandex.ru",
        "mail.ru",
        "hey.com",
        "fastmail.com",
        "tutanota.com",
        "qq.com",
        "163.com",
    }
)

_DOMAIN_RE = re.compile(r"^(?=.{3,200}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$")
FILTER_KEYS = (
    "q",
    "segment",
    "plan",
    "lifecycle_stage",
    "owner",
    "min_arr",
    "max_arr",
    "renewal_before",
    "renewal_after",
    "renewal_within_days",  # relative: renews between today and today + N days, evaluated when read
)
MAX_RENEWAL_DAYS = 3650
ACCOUNT_SORTS: dict[str, tuple[Any, ...]] = {
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "arr": ("arr", "name"),
    "-arr": ("-arr", "name"),
    # Accounts without a renewal date go last either way: "who renews next" must not start with blanks.
    "renewal": (F("renewal_date").asc(nulls_last=True), "name"),
    "-renewal": (F("renewal_date").desc(nulls_last=True), "name"),
    "feedback": ("feedback_count", "name"),
    "-feedback": ("-feedback_count", "name"),
}


# ---------------------------------------------------------------------------------------------
# Value parsing (shared by forms, the API and the CSV importer)
# ---------------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def normalise_domain(value: Any) -> str:
    """ "https://www.Acme.com/about" → "acme.com"; also accepts an email address. Raises ValueError."""
    raw = _text(value)
    text = raw.lower()
    if not text:
        return ""
    if "@" in text and "://" not in text:
        text = text.rsplit("@", 1)[1]
    text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text)
    text = re.split(r"[/?#]", text, maxsplit=1)[0]
    text = text.rsplit("@", 1)[-1].split(":", 1)[0].strip().rstrip(".")
    if text.startswith("www."):
        text = text[4:]
    if not _DOMAIN_RE.match(text):
        raise ValueError(f"'{raw}' is not a domain name (expected something like acme.com)")
    return text


def email_domain(email: str) -> str:
    return email.rsplit("@", 1)[-1].strip().lower() if "@" in email else ""


def normalise_email(value: Any) -> str:
    raw = _text(value)
    email = raw.lower()
    if not email:
        return ""
    if email.startswith("mailto:"):
        email = email[7:]
    try:
        validate_email(email)
    except ValidationError:
        raise ValueError(f"'{raw}' is not a valid email address") from None
    return email


_AMOUNT_RE = re.compile(r"^(-?\d+(?:\.\d+)?)([km])?$")


def parse_arr(value: Any) -> Decimal:
    """Numbers as people write them: "12000", "$12,000.50", "12k", "1.2M", "€ 900"."""
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        amount = Decimal(str(value))
    else:
        raw = _text(value)
        if not raw:
            return Decimal(0)
        text = raw.lower().replace(",", "").replace("_", "").replace(" ", "")
        text = re.sub(r"^(usd|eur|gbp|[$€£])", "", text)
        text = re.sub(r"(usd|eur|gbp)$", "", text)
        match = _AMOUNT_RE.match(text)
        if not match:
            raise ValueError(f"ARR must be a number, got '{raw}'")
        amount = Decimal(match.group(1)) * {"k": 1000, "m": 1_000_000, None: 1}[match.group(2)]
    if not amount.is_finite():
        raise ValueError(f"ARR must be a number, got '{value}'")
    if amount < 0:
        raise ValueError(f"ARR cannot be negative, got '{value}'")
    if amount >= Decimal("1e12"):
        raise ValueError(f"ARR is too large, got '{value}'")
    return amount.quantize(Decimal("0.01"))


_DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%d.%m.%Y",
    "%d %b %Y",
    "%d %B %Y",
    "%b %d %Y",
    "%B %d %Y",
    "%Y%m%d",
)


def parse_date(value: Any, label: str = "Date") -> dt.date | None:
    """ISO dates and common spellings. "03/04/2026" is refused as ambiguous unless one part exceeds 12."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raw = _text(value)
    if not raw:
        return None
    text = raw.replace(",", " ")
    text = " ".join(text.split())
    iso = re.match(r"^(\d{4}-\d{2}-\d{2})[T ]", text)
    if iso:
        text = iso.group(1)
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    slash = re.match(r"^(\d{1,2})[/-](\d{1,2})[/-](\d{4})$", text)
    if slash:
        a, b, year = (int(x) for x in slash.groups())
        if a > 12 and b <= 12:
            day, month = a, b
        elif b > 12 and a <= 12:
            month, day = a, b
        elif a == b:
            day = month = a
        else:
            raise ValueError(f"{label} '{raw}' is ambiguous (day/month or month/day?); use YYYY-MM-DD")
        try:
            return dt.date(year, month, day)
        except ValueError:
            pass
    raise ValueError(f"{label} must be a date like 2026-03-31, got '{raw}'")


def parse_lifecycle(value: Any) -> str:
    raw = _text(value)
    if not raw:
        return LifecycleStage.ACTIVE
    key = re.sub(r"[\s-]+", "_", raw.lower())
    for choice in LifecycleStage:
        if key in (choice.value, choice.label.lower().replace(" ", "_")):
            return choice.value
    options = ", ".join(c.value for c in LifecycleStage)
    raise ValueError(f"Unknown lifecycle stage '{raw}' (use one of: {options})")


def _member_by_email(workspace: Workspace, email: str) -> Any:
    membership = workspace.memberships.select_related("user").filter(user__email__iexact=email).first()
    if membership is None:
        raise ValueError(f"No member of this workspace has the email '{email}'")
    return membership.user


def workspace_members(workspace: Workspace) -> list[Any]:
    return [m.user for m in workspace.memberships.select_related("user").order_by("user__name", "user__email")]


def account_for_email(workspace: Workspace, email: str) -> Account | None:
    domain = email_domain(email)
    if not domain or domain in FREE_MAIL_DOMAINS:
        return None
    account = workspace.accounts.filter(domain=domain).first()
    if account is None and domain.count(".") > 1:
        # eu.acme.com → acme.com: subsidiaries and regional mail servers.
        parent = domain.split(".", 1)[1]
        if parent not in FREE_MAIL_DOMAINS:
            account = workspace.accounts.filter(domain=parent).first()
    return account


# ---------------------------------------------------------------------------------------------
# Filtering and segments
# ---------------------------------------------------------------------------------------------


def clean_filters(filters: Mapping[str, Any]) -> dict[str, str]:
    """Keep only known, non-blank filter keys, as strings; raise ValidationError on unusable values."""
    cleaned: dict[str, str] = {}
    errors: dict[str, str] = {}
    for key in FILTER_KEYS:
        value = _text(filters.get(key))
        if not value:
            continue
        try:
            if key in ("min_arr", "max_arr"):
                parse_arr(value)
            elif key in ("renewal_before", "renewal_after"):
                parse_date(value, "Renewal date")
            elif key == "lifecycle_stage":
                value = parse_lifecycle(value)
            elif key == "renewal_within_days":
                value = str(parse_days(value))
        except ValueError as exc:
            errors[key] = str(exc)
        cleaned[key] = value
    if errors:
        raise ValidationError(errors)
    return cleaned


def filter_accounts(workspace: Workspace, filters: Mapping[str, Any]) -> QuerySet[Account]:
    """Accounts matching a filter dict (the same dicts saved segments store). Bad values raise ValidationError."""
    f = clean_filters(filters)
    qs = workspace.accounts.all()
    if q := f.get("q"):
        qs = qs.filter(Q(name__icontains=q) | Q(domain__icontains=q.lower()))
    if segment := f.get("segment"):
        qs = qs.filter(segment__iexact=segment)
    if plan := f.get("plan"):
        qs = qs.filter(plan__iexact=plan)
    if stage := f.get("lifecycle_stage"):
        qs = qs.filter(lifecycle_stage=stage)
    if owner := f.get("owner"):
        if owner == "none":
            qs = qs.filter(owner__isnull=True)
        elif owner.isdigit():
            qs = qs.filter(owner_id=int(owner))
        else:
            qs = qs.filter(owner__email__iexact=owner)
    if "min_arr" in f:
        qs = qs.filter(arr__gte=parse_arr(f["min_arr"]))
    if "max_arr" in f:
        qs = qs.filter(arr__lte=parse_arr(f["max_arr"]))
    if "renewal_before" in f:
        qs = qs.filter(renewal_date__lte=parse_date(f["renewal_before"]))
    if "renewal_after" in f:
        qs = qs.filter(renewal_date__gte=parse_date(f["renewal_after"]))
    if "renewal_within_days" in f:  # relative to today, every time it is read
        today = timezone.localdate()
        qs = qs.filter(
            renewal_date__gte=today, renewal_date__lte=today + dt.timedelta(days=int(f["renewal_within_days"]))
        )
    return qs


def parse_days(value: Any) -> int:
    """A whole number of days, 1 to MAX_RENEWAL_DAYS ("90", "90 days")."""
    raw = _text(value).lower().removesuffix("days").removesuffix("day").strip()
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_RENEWAL_DAYS:
        raise ValueError(f"Days must be a whole number from 1 to {MAX_RENEWAL_DAYS}, got '{_text(value)[:20]}'")
    return int(raw)


def segment_filters(segment: Segment) -> dict[str, str]:
    """A saved segment's filters, tolerating rows saved by older versions with stray keys."""
    try:
        return clean_filters(segment.filters or {})
    except ValidationError:
        return {k: str(v) for k, v in (segment.filters or {}).items() if k in FILTER_KEYS}


def segment_accounts(segment: Segment) -> QuerySet[Account]:
    try:
        return filter_accounts(segment.workspace, segment_filters(segment))
    except ValidationError:
        return segment.workspace.accounts.none()


# ---------------------------------------------------------------------------------------------
# Read models for pages
# ---------------------------------------------------------------------------------------------


@dataclass
class AccountList:
    page_accounts: QuerySet[Account]
    count: int
    total_arr: Decimal
    filters: dict[str, str]
    errors: dict[str, list[str]] = field(default_factory=dict)


def list_accounts(workspace: Workspace, filters: Mapping[str, Any], sort: str = "name") -> AccountList:
    """Accounts for the list page: filtered, sorted, with feedback counts and the filtered total ARR.

    Unusable filter values are dropped (and reported) rather than failing the page.
    """
    raw = {key: filters.get(key) for key in FILTER_KEYS}
    errors: dict[str, list[str]] = {}
    try:
        cleaned = clean_filters(raw)
    except ValidationError as exc:
        errors = exc.message_dict
        cleaned = clean_filters({k: v for k, v in raw.items() if k not in errors})
    base = filter_accounts(workspace, cleaned)
    totals = base.aggregate(total=Sum("arr"), n=Count("id"))
    ordered = (
        base.select_related("owner")
        .annotate(feedback_count=Count("feedback_items"))
        .order_by(*ACCOUNT_SORTS.get(sort, ACCOUNT_SORTS["name"]))
    )
    return AccountList(ordered, totals["n"], totals["total"] or Decimal(0), cleaned, errors)


def segment_rows(workspace: Workspace) -> list[dict[str, Any]]:
    rows = []
    for segment in workspace.segments.all():
        totals = segment_accounts(segment).aggregate(total=Sum("arr"), n=Count("id"))
        rows.append(
            {
                "segment": segment,
                "filters": segment_filters(segment),
                "count": totals["n"],
                "arr": totals["total"] or Decimal(0),
            }
        )
    return rows


def describe_filters(filters: Mapping[str, str]) -> list[str]:
    """Human-readable chips for a filter dict: 'Plan: Enterprise', 'ARR ≥ $10,000'."""
    labels = {
        "q": "Search",
        "segment": "Segment",
        "plan": "Plan",
        "lifecycle_stage": "Stage",
        "owner": "Owner",
        "min_arr": "ARR ≥",
        "max_arr": "ARR ≤",
        "renewal_before": "Renews by",
        "renewal_after": "Renews after",
        "renewal_within_days": "Renews within",
    }
    out = []
    for key, value in filters.items():
        if key == "lifecycle_stage":
            value = LifecycleStage(value).label if value in LifecycleStage.values else value
        elif key == "renewal_within_days":
            value = f"the next {value} days"
        out.append(
            f"{labels.get(key, key)}: {value}"
            if not labels.get(key, "").endswith(("≥", "≤"))
            else f"{labels[key]} {value}"
        )
    return out


def filter_choices(workspace: Workspace) -> dict[str, list[Any]]:
    """Distinct values for the filter selects on the accounts list."""
    accounts = workspace.accounts
    return {
        "segments": sorted(set(accounts.exclude(segment="").values_list("segment", flat=True))),
        "plans": sorted(set(accounts.exclude(plan="").values_list("plan", flat=True))),
        "stages": list(LifecycleStage.choices),
        "owners": workspace_members(workspace),
    }


def feedback_url(workspace: Workspace, pk: int) -> str:
    """Link to a feedback item when the feedback app has a detail page; "" until then."""
    try:
        return reverse("feedback:detail", kwargs={"ws": workspace.slug, "pk": pk})
    except NoReverseMatch:
        return ""


def _feedback_rows(workspace: Workspace, items: QuerySet[Any]) -> list[dict[str, Any]]:
    return [{"item": item, "url": feedback_url(workspace, item.pk)} for item in items]


def feedback_by_month(workspace: Workspace, items: QuerySet[Any], months: int = 12, title: str = "") -> dict[str, Any]:
    """A bar chart of feedback per calendar month, the last `months` months including this one."""
    today = timezone.localdate()
    starts: list[dt.date] = []
    year, month = today.year, today.month
    for _ in range(months):
        starts.append(dt.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    starts.reverse()
    since = timezone.make_aware(dt.datetime(starts[0].year, starts[0].month, 1))
    counts = {
        row["month"].date() if isinstance(row["month"], dt.datetime) else row["month"]: row["n"]
        for row in items.filter(received_at__gte=since)
        .annotate(month=TruncMonth("received_at"))
        .values("month")
        .annotate(n=Count("id"))
        .order_by()
    }
    points = [(start.isoformat(), counts.get(start, 0)) for start in starts]
    total = sum(v for _, v in points)
    return bar_chart(points, title or "Feedback per month", height=150, caption=f"{total} in the last {months} months")


def account_overview(account: Account, *, recent: int = 10) -> dict[str, Any]:
    """Everything the account page shows, prepared here so the template only renders."""
    workspace = account.workspace
    items = account.feedback_items.all()
    renewal_days = (account.renewal_date - timezone.localdate()).days if account.renewal_date else None
    return {
        "contacts": account.contacts.annotate(feedback_count=Count("feedback_items")).order_by("name", "email"),
        "feedback": _feedback_rows(workspace, items.select_related("contact")[:recent]),
        "feedback_count": items.count(),
        "chart": feedback_by_month(workspace, items, title=f"Feedback from {account.name} per month"),
        "renewal_days": renewal_days,
        "renewal_badge": _renewal_badge(renewal_days),
        "renewal_text": _renewal_text(renewal_days),
        "segments": [s for s in workspace.segments.all() if segment_accounts(s).filter(pk=account.pk).exists()],
    }


def _renewal_text(days: int | None) -> str:
    if days is None:
        return ""
    if days == 0:
        return "renews today"
    if days > 0:
        return f"in {days} day{'s' if days != 1 else ''}"
    return f"{-days} day{'s' if days != -1 else ''} overdue"


def _renewal_badge(days: int | None) -> str:
    if days is None:
        return ""
    if days < 0:
        return "badge-bad"
    if days <= 30:
        return "badge-warn"
    if days <= 90:
        return "badge-info"
    return "badge-ok"


def contact_overview(contact: Contact, *, recent: int = 20) -> dict[str, Any]:
    items = contact.feedback_items.all()
    return {
        "feedback": _feedback_rows(contact.workspace, items[:recent]),
        "feedback_count": items.count(),
    }


def filter_contacts(workspace: Workspace, q: str = "", account: str = "") -> QuerySet[Contact]:
    qs = workspace.contacts.select_related("account")
    if q := _text(q):
        qs = qs.filter(Q(name__icontains=q) | Q(email__icontains=q) | Q(title__icontains=q))
    if account == "none":
        qs = qs.filter(account__isnull=True)
    elif _text(account).isdigit():
        qs = qs.filter(account_id=int(account))
    return qs


def match_sender(workspace: Workspace, email: str) -> tuple[Contact | None, Account | None]:
    """Who sent this? The contact with that email, else the account owning the email's domain.

    Free-mail domains (gmail.com, outlook.com, …) never match an account. Reads only: to turn a
    sender on a known domain into a contact use `customers.actions.match_sender_or_add_contact`.
    """
    return SenderMatcher(workspace).match(email)


class SenderMatcher:
    """`match_sender` for many senders (an import chunk): `prime(emails)` looks them all up in two
    queries (contacts by email, accounts by domain); `match(email)` then answers from the cache."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._contacts: dict[str, Contact] = {}
        self._accounts: dict[str, Account] = {}
        self._emails: set[str] = set()
        self._domains: set[str] = set()

    @staticmethod
    def _domains_of(address: str) -> list[str]:
        domain = email_domain(address)
        if not domain or domain in FREE_MAIL_DOMAINS:
            return []
        found = [domain]
        if domain.count(".") > 1:  # eu.acme.com → acme.com: subsidiaries and regional mail servers
            parent = domain.split(".", 1)[1]
            if parent not in FREE_MAIL_DOMAINS:
                found.append(parent)
        return found

    def prime(self, emails: Iterable[str]) -> None:
        addresses = {a for a in (_text(e).lower() for e in emails) if a and "@" in a} - self._emails
        if not addresses:
            return
        for contact in (
            self.workspace.contacts.select_related("account")
            .annotate(_email=Lower("email"))
            .filter(_email__in=addresses)
        ):
            self._contacts.setdefault(contact.email.lower(), contact)
        self._emails |= addresses
        domains = {d for a in addresses if a not in self._contacts for d in self._domains_of(a)} - self._domains
        if domains:
            for account in self.workspace.accounts.filter(domain__in=domains).order_by("pk"):
                self._accounts.setdefault(account.domain, account)
            self._domains |= domains

    def match(self, email: str) -> tuple[Contact | None, Account | None]:
        address = _text(email).lower()
        if not address or "@" not in address:
            return None, None
        self.prime([address])
        contact = self._contacts.get(address)
        if contact is not None:
            return contact, contact.account
        for domain in self._domains_of(address):
            if domain in self._accounts:
                return None, self._accounts[domain]
        return None, None
