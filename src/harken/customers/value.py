"""Customer lifetime value (CLV) per account, from the workspace's gross margin and churn rate.

    expected lifetime (years) = 1 / annual churn rate
    CLV                       = ARR × gross margin × expected lifetime

Both rates are workspace settings (`ValueSettings`, defaults 80 % margin and 10 % churn, so a
10-year lifetime). An account without revenue data (ARR 0 or empty) has CLV *unknown* (`None`),
never zero: "we do not know" must not read as "worthless". Top problems can weigh accounts by CLV
instead of ARR (insight/themes/problems.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError

from harken.customers.models import Account, ValueSettings
from harken.workspaces.access import Actor
from harken.workspaces.models import Role, Workspace

DEFAULT_MARGIN = Decimal("80")
DEFAULT_CHURN = Decimal("10")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Inputs:
    gross_margin: Decimal  # percent, 0–100
    annual_churn: Decimal  # percent, >0–100

    @property
    def lifetime_years(self) -> Decimal:
        return (Decimal(100) / self.annual_churn).quantize(CENT)

    @property
    def formula(self) -> str:
        return (
            f"CLV = ARR × gross margin ({self.gross_margin.normalize():f} %) × expected lifetime "
            f"(1 / churn {self.annual_churn.normalize():f} % = {self.lifetime_years.normalize():f} years)"
        )


def inputs(workspace: Workspace) -> Inputs:
    """The workspace's settings (the defaults when none were saved). Reads only."""
    row = ValueSettings.objects.filter(workspace=workspace).first()
    if row is None:
        return Inputs(DEFAULT_MARGIN, DEFAULT_CHURN)
    return Inputs(Decimal(row.gross_margin), Decimal(row.annual_churn))


def clv(arr: Decimal | float | int | None, settings: Inputs) -> Decimal | None:
    """CLV in currency units, or None (unknown) when there is no revenue data."""
    if arr is None:
        return None
    value = Decimal(str(arr))
    if value <= 0:
        return None
    lifetime = Decimal(100) / settings.annual_churn
    return (value * settings.gross_margin / Decimal(100) * lifetime).quantize(CENT)


def account_value(account: Account, settings: Inputs | None = None) -> dict[str, Any]:
    settings = settings or inputs(account.workspace)
    value = clv(account.arr, settings)
    return {"clv": value, "clv_known": value is not None, "clv_formula": settings.formula, "clv_inputs": settings}


def clv_by_account(workspace: Workspace, account_ids: set[int]) -> dict[int, Decimal | None]:
    settings = inputs(workspace)
    rows = workspace.accounts.filter(pk__in=account_ids).values_list("pk", "arr")
    return {pk: clv(arr, settings) for pk, arr in rows}


def _percent(raw: Any, field: str, *, allow_zero: bool) -> Decimal:
    try:
        value = Decimal(str(raw).strip().rstrip("%"))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: "Enter a percentage, e.g. 80."}) from None
    if not value.is_finite() or value > 100 or value < 0 or (value == 0 and not allow_zero):
        low = "0" if allow_zero else "more than 0"
        raise ValidationError({field: f"Enter a percentage from {low} to 100."})
    return value.quantize(CENT)


def update_settings(actor: Actor, gross_margin: Any, annual_churn: Any) -> ValueSettings:
    """Set the workspace's CLV inputs (admins). Rates in percent; churn must be above 0."""
    actor.require(Role.ADMIN)
    errors: dict[str, str] = {}
    margin = churn = Decimal(0)
    try:
        margin = _percent(gross_margin, "gross_margin", allow_zero=True)
    except ValidationError as e:
        errors.update({k: v[0] for k, v in e.message_dict.items()})
    try:
        churn = _percent(annual_churn, "annual_churn", allow_zero=False)
    except ValidationError as e:
        errors.update({k: v[0] for k, v in e.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    row, _ = ValueSettings.objects.update_or_create(
        workspace=actor.workspace, defaults={"gross_margin": margin, "annual_churn": churn}
    )
    return row
