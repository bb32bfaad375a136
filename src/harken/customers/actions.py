"""Accounts, contacts and segments: every write, sender matching and the importer's upserts.

Writes take an `Actor` first and need the member role. Values may arrive as raw strings (forms, CSV
imports, the API) or as typed values; `_clean_account` / `_clean_contact` turn either into model
values and collect every problem into one `ValidationError({field: message})` so people can fix a
whole row at once. Reads (filters, lists, overviews) live in `customers.queries`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from harken.customers.models import Account, Contact, Segment
from harken.customers.queries import (
    _member_by_email,
    _text,
    account_for_email,
    clean_filters,
    match_sender,
    normalise_domain,
    normalise_email,
    parse_arr,
    parse_date,
    parse_lifecycle,
)
from harken.workspaces import audit
from harken.workspaces.access import Actor
from harken.workspaces.models import AuditAction, Role, Workspace

ACCOUNT_FIELDS = (
    "name",
    "domain",
    "plan",
    "segment",
    "lifecycle_stage",
    "arr",
    "renewal_date",
    "owner_email",
    "external_id",
    "notes",
)
CONTACT_FIELDS = ("name", "email", "title", "account", "account_domain", "account_name", "external_id")


# ---------------------------------------------------------------------------------------------
# Accounts
# ---------------------------------------------------------------------------------------------


def _clean_account(
    workspace: Workspace, data: Mapping[str, Any], instance: Account | None, *, partial: bool
) -> dict[str, Any]:
    """Validate `data` into model values. With `partial`, only keys present (and, for imports, non-blank) count."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}

    def given(key: str) -> bool:
        return key in data if partial else True

    if given("name"):
        name = _text(data.get("name"))
        if not name:
            errors["name"] = "An account needs a name."
        elif len(name) > 200:
            errors["name"] = "Name is too long (200 characters at most)."
        values["name"] = name
    for key, limit in (("plan", 80), ("segment", 80), ("external_id", 200)):
        if given(key):
            text = _text(data.get(key))
            if len(text) > limit:
                errors[key] = f"{key.replace('_', ' ').capitalize()} is too long ({limit} characters at most)."
            values[key] = text
    if given("notes"):
        values["notes"] = _text(data.get("notes"))
    if given("domain"):
        try:
            values["domain"] = normalise_domain(data.get("domain"))
        except ValueError as exc:
            errors["domain"] = str(exc)
    if given("lifecycle_stage"):
        try:
            values["lifecycle_stage"] = parse_lifecycle(data.get("lifecycle_stage"))
        except ValueError as exc:
            errors["lifecycle_stage"] = str(exc)
    if given("arr"):
        try:
            values["arr"] = parse_arr(data.get("arr"))
        except ValueError as exc:
            errors["arr"] = str(exc)
    if given("renewal_date"):
        try:
            values["renewal_date"] = parse_date(data.get("renewal_date"), "Renewal date")
        except ValueError as exc:
            errors["renewal_date"] = str(exc)
    if given("owner_email"):
        owner_email = _text(data.get("owner_email"))
        try:
            values["owner"] = _member_by_email(workspace, owner_email) if owner_email else None
        except ValueError as exc:
            errors["owner_email"] = str(exc)

    others = workspace.accounts.exclude(pk=instance.pk) if instance and instance.pk else workspace.accounts.all()
    if values.get("domain") and "domain" not in errors:
        clash = others.filter(domain=values["domain"]).first()
        if clash:
            errors["domain"] = f"The domain {values['domain']} already belongs to the account '{clash.name}'."
    if values.get("external_id") and "external_id" not in errors:
        clash = others.filter(external_id=values["external_id"]).first()
        if clash:
            errors["external_id"] = (
                f"The external id '{values['external_id']}' already belongs to the account '{clash.name}'."
            )
    if errors:
        raise ValidationError(errors)
    return values


def _save(obj: Account | Contact | Segment) -> None:
    """Save, turning a unique-constraint race into a readable error instead of a 500."""
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        raise ValidationError(
            "Another record with the same unique value was saved at the same time; try again."
        ) from None


def create_account(actor: Actor, data: Mapping[str, Any]) -> Account:
    actor.require(Role.MEMBER)
    values = _clean_account(actor.workspace, data, None, partial=False)
    account = Account(workspace=actor.workspace, **values)
    _save(account)
    return account


def update_account(actor: Actor, account: Account, data: Mapping[str, Any], *, partial: bool = False) -> Account:
    """`partial=True` (API PATCH) changes only the keys present in `data`."""
    actor.require(Role.MEMBER)
    _same_workspace(actor, account)
    values = _clean_account(actor.workspace, data, account, partial=partial)
    for key, value in values.items():
        setattr(account, key, value)
    _save(account)
    return account


def delete_account(actor: Actor, account: Account) -> None:
    """Contacts and feedback stay (their account link is cleared): evidence outlives a CRM cleanup."""
    actor.require(Role.MEMBER)
    _same_workspace(actor, account)
    with transaction.atomic():
        audit.record(actor, AuditAction.DELETED, f"Account “{account.name}”")
        account.delete()


def _same_workspace(actor: Actor, obj: Account | Contact | Segment) -> None:
    if obj.workspace_id != actor.workspace.pk:
        raise ValidationError("This record belongs to another workspace.")


def _import_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """Importer rows: blank cells mean "unknown", so they never overwrite what we already have."""
    return {k: v for k, v in data.items() if _text(v) != ""}


def upsert_account(actor: Actor, data: Mapping[str, Any], *, dry_run: bool = False) -> tuple[Account, bool]:
    """Create or update an account from an import row; matched by external_id, else domain, else exact name.

    Running the same row twice changes nothing the second time. With `dry_run` nothing is written:
    the returned account carries the changes in memory (and has no pk when it would be created).
    """
    actor.require(Role.MEMBER)
    workspace = actor.workspace
    row = _import_data(data)
    external_id = _text(row.get("external_id"))
    try:
        domain = normalise_domain(row.get("domain"))
    except ValueError as exc:
        raise ValidationError({"domain": str(exc)}) from None

    account: Account | None = None
    if external_id:
        account = workspace.accounts.filter(external_id=external_id).first()
    if account is None and domain:
        account = workspace.accounts.filter(domain=domain).first()
    if account is None and not external_id and not domain and _text(row.get("name")):
        account = workspace.accounts.filter(name__iexact=_text(row["name"])).first()

    created = account is None
    values = _clean_account(workspace, row, account, partial=not created)
    if account is None:
        account = Account(workspace=workspace, **values)
    else:
        for key, value in values.items():
            setattr(account, key, value)
    if not dry_run:
        _save(account)
    return account, created


# ---------------------------------------------------------------------------------------------
# Contacts
# ---------------------------------------------------------------------------------------------


def _resolve_account(
    workspace: Workspace, data: Mapping[str, Any], errors: dict[str, str]
) -> tuple[bool, Account | None]:
    """Which account a contact row points at: an Account/id, account_domain or account_name. (given?, account)"""
    value = data.get("account")
    if value not in (None, ""):
        if isinstance(value, Account):
            if value.workspace_id != workspace.pk:
                errors["account"] = "That account belongs to another workspace."
                return True, None
            return True, value
        found = workspace.accounts.filter(pk=int(str(value))).first() if str(value).isdigit() else None
        if found is None:
            errors["account"] = f"No account with id {value} in this workspace."
        return True, found
    domain_given = _text(data.get("account_domain"))
    if domain_given:
        try:
            domain = normalise_domain(domain_given)
        except ValueError as exc:
            errors["account_domain"] = str(exc)
            return True, None
        found = workspace.accounts.filter(domain=domain).first()
        if found is None:
            errors["account_domain"] = f"No account with the domain {domain}; import accounts first or fix the domain."
        return True, found
    name = _text(data.get("account_name"))
    if name:
        matches = list(workspace.accounts.filter(name__iexact=name)[:2])
        if not matches:
            errors["account_name"] = f"No account named '{name}'; import accounts first or fix the name."
        elif len(matches) > 1:
            errors["account_name"] = f"Several accounts are named '{name}'; give the account's domain instead."
        return True, matches[0] if len(matches) == 1 else None
    return ("account" in data), None


def _clean_contact(
    workspace: Workspace, data: Mapping[str, Any], instance: Contact | None, *, partial: bool
) -> dict[str, Any]:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}

    def given(key: str) -> bool:
        return key in data if partial else True

    for key in ("name", "title", "external_id"):
        if given(key):
            text = _text(data.get(key))
            if len(text) > 200:
                errors[key] = f"{key.replace('_', ' ').capitalize()} is too long (200 characters at most)."
            values[key] = text
    if given("email"):
        try:
            values["email"] = normalise_email(data.get("email"))
        except ValueError as exc:
            errors["email"] = str(exc)
    account_given, account = _resolve_account(workspace, data, errors)
    if account_given:
        values["account"] = account
    elif not partial:
        values["account"] = None

    name = values.get("name", instance.name if instance else "")
    email = values.get("email", instance.email if instance else "")
    if not name and not email and "email" not in errors:
        errors["email"] = "A contact needs at least a name or an email address."

    others = workspace.contacts.exclude(pk=instance.pk) if instance and instance.pk else workspace.contacts.all()
    if values.get("email") and "email" not in errors:
        clash = others.filter(email__iexact=values["email"]).first()
        if clash:
            errors["email"] = f"{values['email']} is already the contact '{clash}'."
    if errors:
        raise ValidationError(errors)
    return values


def create_contact(actor: Actor, data: Mapping[str, Any]) -> Contact:
    """With no account given, a work email on a known account's domain links the contact to it."""
    actor.require(Role.MEMBER)
    values = _clean_contact(actor.workspace, data, None, partial=False)
    if values.get("account") is None and not _account_keys_given(data) and values.get("email"):
        values["account"] = account_for_email(actor.workspace, values["email"])
    contact = Contact(workspace=actor.workspace, **values)
    _save(contact)
    return contact


def _account_keys_given(data: Mapping[str, Any]) -> bool:
    return any(_text(data.get(k)) for k in ("account", "account_domain", "account_name"))


def update_contact(actor: Actor, contact: Contact, data: Mapping[str, Any], *, partial: bool = False) -> Contact:
    actor.require(Role.MEMBER)
    _same_workspace(actor, contact)
    values = _clean_contact(actor.workspace, data, contact, partial=partial)
    for key, value in values.items():
        setattr(contact, key, value)
    _save(contact)
    return contact


def delete_contact(actor: Actor, contact: Contact) -> None:
    """Their feedback stays, still linked to the account."""
    actor.require(Role.MEMBER)
    _same_workspace(actor, contact)
    with transaction.atomic():
        audit.record(actor, AuditAction.DELETED, f"Contact “{contact.name or contact.email}”")
        contact.delete()


def upsert_contact(actor: Actor, data: Mapping[str, Any], *, dry_run: bool = False) -> tuple[Contact, bool]:
    """Create or update a contact from an import row; matched by external_id, else email.

    Rows with neither match on name within the same account. Without account_domain/account_name, a
    new contact whose email domain belongs to an account is linked to it.
    """
    actor.require(Role.MEMBER)
    workspace = actor.workspace
    row = _import_data(data)
    external_id = _text(row.get("external_id"))
    try:
        email = normalise_email(row.get("email"))
    except ValueError as exc:
        raise ValidationError({"email": str(exc)}) from None

    contact: Contact | None = None
    if external_id:
        contact = workspace.contacts.filter(external_id=external_id).first()
    if contact is None and email:
        contact = workspace.contacts.filter(email__iexact=email).first()
    created = contact is None
    values = _clean_contact(workspace, row, contact, partial=not created)
    if created and not external_id and not email:
        contact = workspace.contacts.filter(name__iexact=values.get("name", ""), account=values.get("account")).first()
        if contact is not None:
            created = False
    if contact is None:
        if values.get("account") is None and email and not _account_keys_given(row):
            values["account"] = account_for_email(workspace, email)
        contact = Contact(workspace=workspace, **values)
    else:
        for key, value in values.items():
            setattr(contact, key, value)
    if not dry_run:
        _save(contact)
    return contact, created


def match_sender_or_add_contact(
    workspace: Workspace, email: str, *, name: str = ""
) -> tuple[Contact | None, Account | None]:
    """`customers.queries.match_sender`, and a sender on a known account's domain becomes a new
    contact of that account."""
    contact, account = match_sender(workspace, email)
    if contact is not None or account is None:
        return contact, account
    address = _text(email).lower()
    try:
        with transaction.atomic():
            contact, _ = workspace.contacts.get_or_create(
                email=address, defaults={"account": account, "name": _text(name)[:200]}
            )
    except IntegrityError:
        contact = workspace.contacts.filter(email__iexact=address).first()
    return contact, account


def _clean_segment(workspace: Workspace, data: Mapping[str, Any], instance: Segment | None) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    name = _text(data.get("name"))
    if not name:
        errors["name"] = "A segment needs a name."
    elif len(name) > 120:
        errors["name"] = "Name is too long (120 characters at most)."
    else:
        others = workspace.segments.exclude(pk=instance.pk) if instance else workspace.segments.all()
        if others.filter(name__iexact=name).exists():
            errors["name"] = f"There is already a segment called '{name}'."
    weight_raw = data.get("weight")
    weight = 1.0
    if _text(weight_raw):
        try:
            weight = float(_text(weight_raw))
            if not 0 < weight <= 100:
                raise ValueError
        except ValueError:
            errors["weight"] = f"Weight must be a number above 0 and at most 100, got '{weight_raw}'."
    filters_in = data.get("filters")
    filters_source = filters_in if isinstance(filters_in, Mapping) else data
    try:
        filters = clean_filters(filters_source)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        filters = {}
    if errors:
        raise ValidationError(errors)
    return {"name": name, "description": _text(data.get("description")), "weight": weight, "filters": filters}


def create_segment(actor: Actor, data: Mapping[str, Any]) -> Segment:
    """`data` holds name/description/weight and the filters, either nested under "filters" or flat."""
    actor.require(Role.MEMBER)
    segment = Segment(workspace=actor.workspace, **_clean_segment(actor.workspace, data, None))
    _save(segment)
    return segment


def update_segment(actor: Actor, segment: Segment, data: Mapping[str, Any]) -> Segment:
    actor.require(Role.MEMBER)
    _same_workspace(actor, segment)
    for key, value in _clean_segment(actor.workspace, data, segment).items():
        setattr(segment, key, value)
    _save(segment)
    return segment


def delete_segment(actor: Actor, segment: Segment) -> None:
    actor.require(Role.MEMBER)
    _same_workspace(actor, segment)
    segment.delete()
