"""`harken customers …`: look at accounts and test sender matching from a shell (read-only)."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

customers_app = typer.Typer(help="Customer accounts, contacts and segments.", no_args_is_help=True)
console = Console()


def _workspace(slug: str):  # type: ignore[no-untyped-def]
    from harken.workspaces.models import Workspace

    try:
        return Workspace.objects.get(slug=slug)
    except Workspace.DoesNotExist:
        console.print(f"[red]No workspace with the slug '{slug}'[/red]")
        raise typer.Exit(1) from None


@customers_app.command("accounts")
def accounts(
    workspace: str = typer.Option(..., "--workspace", "-w", help="Workspace slug"),
    q: str = typer.Option("", help="Name or domain contains"),
    segment: str = typer.Option("", help="Name of a saved segment to apply"),
    sort: str = typer.Option("-arr", help="name, arr, renewal or feedback; prefix - for descending"),
    limit: int = typer.Option(50, min=1),
) -> None:
    """List accounts with ARR, renewal and feedback count."""
    from harken.cli import setup_django

    setup_django()
    from django.core.exceptions import ValidationError

    from harken.customers import queries

    ws = _workspace(workspace)
    filters: dict[str, str] = {}
    if segment:
        saved = ws.segments.filter(name__iexact=segment).first()
        if saved is None:
            console.print(f"[red]No segment called '{segment}'[/red]")
            raise typer.Exit(1)
        filters.update(queries.segment_filters(saved))
    if q:
        filters["q"] = q
    try:
        result = queries.list_accounts(ws, filters, sort)
    except ValidationError as exc:
        console.print(f"[red]{'; '.join(exc.messages)}[/red]")
        raise typer.Exit(1) from None
    table = Table(title=f"{result.count} accounts · total ARR {result.total_arr:,.0f}")
    for column in ("Account", "Domain", "Segment", "Stage", "ARR", "Renewal", "Feedback"):
        table.add_column(column, justify="right" if column in ("ARR", "Feedback") else "left")
    for account in result.page_accounts[:limit]:
        table.add_row(
            account.name,
            account.domain,
            account.segment,
            account.get_lifecycle_stage_display(),
            f"{account.arr:,.0f}",
            account.renewal_date.isoformat() if account.renewal_date else "",
            str(account.feedback_count),  # type: ignore[attr-defined]
        )
    console.print(table)


@customers_app.command("match")
def match(
    email: str = typer.Argument(..., help="Sender email address"),
    workspace: str = typer.Option(..., "--workspace", "-w", help="Workspace slug"),
) -> None:
    """Show which contact and account a sender would be matched to (creates nothing)."""
    from harken.cli import setup_django

    setup_django()
    from harken.customers.queries import match_sender

    contact, account = match_sender(_workspace(workspace), email)
    console.print(f"Contact: {contact or '—'}")
    console.print(f"Account: {account or '—'}")


def register(app: typer.Typer) -> None:
    app.add_typer(customers_app, name="customers")
