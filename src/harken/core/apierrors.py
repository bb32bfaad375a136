"""The one error shape of the HTTP API.

Every error body is `{"detail": "<first message>", "errors": {"<field>": ["<message>", …]}}`.
Services raise `django.core.exceptions.ValidationError`; the handler registered in `harken.api`
turns any that escapes an endpoint into a 422 with this body. Endpoints declare `422: ErrorOut`
in their `response=` so the shape is in the OpenAPI schema.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from ninja import Schema


class ErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]] = {}


def error_body(exc: ValidationError) -> dict[str, Any]:
    """The API error body for a Django ValidationError (field errors keep their field name)."""
    if hasattr(exc, "error_dict"):
        errors = {field: [str(m) for m in messages] for field, messages in exc.message_dict.items()}
    else:
        errors = {"__all__": [str(m) for m in exc.messages]}
    first = next((msgs[0] for msgs in errors.values() if msgs), "Invalid input.")
    return {"detail": first, "errors": errors}


_LOCATIONS = {"body", "query", "path", "header", "cookie", "form", "file", "payload"}


def request_error_body(errors: list[dict[str, Any]]) -> dict[str, Any]:
    """The API error body for django-ninja's request validation errors (pydantic's list)."""
    out: dict[str, list[str]] = {}
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        while loc and loc[0] in _LOCATIONS:
            loc = loc[1:]
        field = ".".join(loc) or "__all__"
        message = str(error.get("msg", "Invalid value."))
        if error.get("type") == "missing":
            message = "This field is required."
        out.setdefault(field, []).append(message)
    if not out:
        out["__all__"] = ["Invalid request."]
    first_field, first = next(iter(out.items()))
    detail = first[0] if first_field == "__all__" else f"{first_field}: {first[0]}"
    return {"detail": detail, "errors": out}
