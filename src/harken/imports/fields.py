"""What each import kind can fill in, how headers map to it, and how cell values are parsed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone


class CellError(ValueError):
    """A cell that cannot be used; the message completes "Row N, column 'X': …"."""


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    help: str = ""


def _norm(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", header.lower())


ACCOUNT_FIELDS = [
    FieldSpec(
        "name",
        "Account name",
        True,
        ("name", "account", "accountname", "company", "companyname", "organization", "organisation", "customer"),
    ),
    FieldSpec("domain", "Domain", False, ("domain", "website", "emaildomain", "url", "companydomain")),
    FieldSpec("plan", "Plan", False, ("plan", "tier", "subscription", "pricingplan")),
    FieldSpec("segment", "Segment", False, ("segment", "customersegment")),
    FieldSpec("lifecycle_stage", "Lifecycle stage", False, ("lifecyclestage", "stage", "lifecycle", "status")),
    FieldSpec(
        "arr",
        "ARR",
        False,
        ("arr", "annualrecurringrevenue", "revenue", "mrr12", "contractvalue"),
        "A number; currency signs and thousands separators are fine",
    ),
    FieldSpec("renewal_date", "Renewal date", False, ("renewaldate", "renewal", "renewson", "contractend")),
    FieldSpec("external_id", "External id", False, ("id", "externalid", "accountid", "companyid", "crmid")),
    FieldSpec(
        "owner_email", "Owner (member email)", False, ("owner", "owneremail", "accountowner", "csm", "accountmanager")
    ),
    FieldSpec("notes", "Notes", False, ("notes", "note", "description")),
]

CONTACT_FIELDS = [
    FieldSpec("email", "Email", True, ("email", "emailaddress", "email1", "mail", "contactemail", "workemail")),
    FieldSpec("name", "Name", False, ("name", "fullname", "contactname", "contact", "person")),
    FieldSpec("title", "Job title", False, ("title", "jobtitle", "role", "position")),
    FieldSpec(
        "account_name",
        "Account (company name)",
        False,
        ("company", "account", "accountname", "companyname", "organization", "organisation"),
    ),
    FieldSpec("account_domain", "Account domain", False, ("domain", "accountdomain", "companydomain", "website")),
    FieldSpec("external_id", "External id", False, ("id", "externalid", "contactid", "crmid")),
]

FEEDBACK_FIELDS = [
    FieldSpec(
        "text",
        "Feedback text",
        True,
        (
            "feedback",
            "text",
            "comment",
            "comments",
            "body",
            "message",
            "content",
            "description",
            "details",
            "verbatim",
            "response",
        ),
    ),
    FieldSpec("title", "Title", False, ("title", "subject", "summary", "headline")),
    FieldSpec(
        "author_email",
        "Author email",
        False,
        ("email", "emailaddress", "authoremail", "customeremail", "requesteremail", "from", "sender", "useremail"),
    ),
    FieldSpec(
        "author_name",
        "Author name",
        False,
        ("name", "authorname", "customername", "requester", "requestername", "customer", "username", "author"),
    ),
    FieldSpec(
        "account",
        "Account (company name)",
        False,
        ("company", "account", "accountname", "companyname", "organization", "organisation"),
    ),
    FieldSpec(
        "received_at",
        "Received at",
        False,
        (
            "date",
            "createdat",
            "created",
            "receivedat",
            "received",
            "submittedat",
            "timestamp",
            "datetime",
            "createddate",
        ),
    ),
    FieldSpec(
        "external_id",
        "External id",
        False,
        ("id", "externalid", "ticketid", "ticket", "feedbackid", "responseid", "reference"),
    ),
    FieldSpec(
        "tags",
        "Tags",
        False,
        ("tags", "tag", "labels", "label", "categories", "category"),
        "Separated by commas or semicolons",
    ),
    FieldSpec("product_line", "Product line", False, ("product", "productline", "productarea", "app")),
]

FIELDS: dict[str, list[FieldSpec]] = {
    "accounts": ACCOUNT_FIELDS,
    "contacts": CONTACT_FIELDS,
    "feedback": FEEDBACK_FIELDS,
}


def fields_for(kind: str) -> list[FieldSpec]:
    return FIELDS[kind]


def required_fields(kind: str) -> list[FieldSpec]:
    return [f for f in FIELDS[kind] if f.required]


def suggest_mapping(kind: str, header: list[str]) -> dict[str, str]:
    """{field: column} by header names: exact alias first, then "contains" (e.g. "E-mail address" → email)."""
    mapping: dict[str, str] = {}
    used: set[str] = set()
    normalised = [(col, _norm(col)) for col in header]
    for spec in FIELDS[kind]:
        for col, norm in normalised:
            if col not in used and (norm in spec.aliases or norm == _norm(spec.name)):
                mapping[spec.name] = col
                used.add(col)
                break
    for spec in FIELDS[kind]:
        if spec.name in mapping:
            continue
        for col, norm in normalised:
            if col in used or not norm:
                continue
            if any(len(alias) >= 4 and alias in norm for alias in spec.aliases):
                mapping[spec.name] = col
                used.add(col)
                break
    return mapping


def check_mapping(kind: str, header: list[str], mapping: dict[str, str]) -> dict[str, str]:
    """Validate a {field: column} mapping against the file; raise with every problem named."""
    known = {f.name for f in FIELDS[kind]}
    problems = []
    clean = {}
    for field, column in mapping.items():
        if not column:
            continue
        if field not in known:
            problems.append(f"Unknown field '{field}' for {kind} (known: {', '.join(sorted(known))}).")
        elif column not in header:
            problems.append(
                f"Column '{column}' (for {field}) is not in the file; its columns are: {', '.join(header)}."
            )
        else:
            clean[field] = column
    columns = list(clean.values())
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    for column in repeated:
        problems.append(f"Column '{column}' is mapped to more than one field.")
    missing = [f for f in required_fields(kind) if f.name not in clean]
    if missing:
        names = ", ".join(f"{f.label} ({f.name})" for f in missing)
        problems.append(
            f"Missing required column{'s' if len(missing) > 1 else ''}: {names}. Map a column of the file to it."
        )
    if problems:
        raise ValidationError(problems)
    return clean


# --- cell parsers: each takes the stripped cell text and returns the value or raises CellError ---


_DATE_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%d.%m.%Y", "%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y", "%b %d %Y"]
_DATETIME_FORMATS = ["%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S"]


def _parse_slashed(value: str) -> datetime | None:
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?", value)
    if not match:
        return None
    a, b, year = int(match[1]), int(match[2]), int(match[3])
    if a > 12 >= b:
        day, month = a, b
    elif b > 12 >= a:
        month, day = a, b
    elif a == b:
        day = month = a
    else:
        raise CellError(f"'{value}' could be day/month or month/day; write dates as YYYY-MM-DD")
    try:
        return datetime(year, month, day, int(match[4] or 0), int(match[5] or 0), int(match[6] or 0))
    except ValueError:
        raise CellError(f"must be a date, got '{value}'") from None


def parse_datetime(value: str, tz: str = "UTC") -> datetime:
    """ISO 8601 and common spreadsheet formats; naive times are in the workspace's time zone."""
    text = value.strip()
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        parsed = _parse_slashed(text)
        if parsed is None:
            for fmt in _DATETIME_FORMATS + _DATE_FORMATS:
                try:
                    parsed = datetime.strptime(text, fmt)
                    break
                except ValueError:
                    continue
    if parsed is None:
        if re.fullmatch(r"\d{9,11}", text):
            return datetime.fromtimestamp(int(text), tz=ZoneInfo("UTC"))
        raise CellError(f"must be a date or date and time (e.g. 2024-03-17 14:05), got '{value}'")
    if timezone.is_naive(parsed):
        try:
            zone = ZoneInfo(tz or "UTC")
        except Exception:  # an unknown zone name in workspace settings must not break imports
            zone = ZoneInfo("UTC")
        parsed = parsed.replace(tzinfo=zone)
    return parsed


def parse_email(value: str) -> str:
    text = value.strip().strip("<>").strip()
    match = re.fullmatch(r"(?:\"?([^\"<]*)\"?\s*)?<([^>]+)>", value.strip())
    if match:
        text = match[2].strip()
    try:
        validate_email(text)
    except ValidationError:
        raise CellError(f"must be an email address, got '{value}'") from None
    return text.lower()


def merge_mapping(kind: str, header: list[str], suggested: dict[str, str], pairs: dict[str, str]) -> dict[str, str]:
    """Apply explicit pairs over the suggestion. Pairs may read column→field or field→column."""
    known = {f.name for f in FIELDS[kind]}
    by_lower = {c.lower(): c for c in header}
    mapping = dict(suggested)
    for a, b in pairs.items():
        a, b = a.strip(), b.strip()
        if b in known and a.lower() in by_lower:
            field, column = b, by_lower[a.lower()]
        elif a in known and b.lower() in by_lower:
            field, column = a, by_lower[b.lower()]
        elif a in known and not b:
            mapping.pop(a, None)
            continue
        else:
            raise ValidationError(
                f"Cannot map '{a}' to '{b}': use COLUMN=FIELD with a column of the file ({', '.join(header)}) "
                f"and a field ({', '.join(sorted(known))})."
            )
        mapping = {f: c for f, c in mapping.items() if c != column and f != field}
        mapping[field] = column
    return mapping
