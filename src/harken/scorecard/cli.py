"""`harken scorecard show --workspace SLUG [--scope KEY]`: the customer-focus scorecard as a table."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

scorecard_app = typer.Typer(help="The customer-focus scorecard.", no_args_is_help=True)


@scorecard_app.command("show")
def show(
    workspace: Annotated[str, typer.Option("--workspace", "-w", help="Workspace slug")],
    scope: Annotated[str, typer.Option(help='"team", "line:<slug>" or "pm:<user id>"')] = "team",
) -> None:
    """Every metric for one scope over the last 12 weeks, with target, status and suggested action."""
    from harken.scorecard import metrics
    from harken.workspaces.models import Workspace

    console = Console()  # per call: the terminal's width now, not when the module was imported
    ws = Workspace.objects.filter(slug=workspace).first()
    if ws is None:
        console.print(f"[red]No workspace with the slug '{workspace}'.[/red]")
        raise typer.Exit(2)
    try:
        chosen = metrics.scope_for(ws, scope)
    except LookupError:
        keys = ", ".join(s.key for s in metrics.scopes(ws))
        console.print(f"[red]No scope '{scope}'. Choose one of: {keys}[/red]")
        raise typer.Exit(2) from None
    table = Table(title=f"{ws.name} — {chosen.label}")
    for column in ("Metric", "Value", "Target", "Status", "Trend", "Suggested action"):
        table.add_column(column)
    for card in metrics.scorecard(chosen):
        table.add_row(
            card.label,
            card.display if card.key != "survey" or card.value is not None else "No survey data yet",
            card.target,
            card.status,
            "yes" if card.enough_for_trend else "not enough data",
            card.action,
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(scorecard_app, name="scorecard")
