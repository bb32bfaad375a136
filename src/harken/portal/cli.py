"""`harken portal …`: list a workspace's portals and its top ideas with the revenue behind them."""

from __future__ import annotations

from typing import Any

import typer

portal_app = typer.Typer(help="The public ideas portal.", no_args_is_help=True)


def _setup() -> Any:
    from rich.console import Console

    from harken.cli import setup_django

    setup_django()
    return Console()


def _workspace(slug: str) -> Any:
    from harken.workspaces.models import Workspace

    ws = Workspace.objects.filter(slug=slug).first()
    if ws is None:
        raise typer.BadParameter(f"No workspace with slug “{slug}”.", param_hint="--workspace")
    return ws


@portal_app.command("list")
def list_portals(workspace: str = typer.Option(..., "--workspace", "-w", help="Workspace slug")) -> None:
    """The workspace's portals: address, visibility, live ideas and ideas awaiting approval."""
    console = _setup()
    from django.conf import settings
    from rich.table import Table

    from harken.portal import queries
    from harken.portal.models import ModState

    ws = _workspace(workspace)
    table = Table(title=f"Ideas portals of {ws.name}")
    for col in ("Portal", "Address", "Visibility", "Ideas", "Awaiting approval"):
        table.add_column(col)
    for p in ws.portals.all():
        table.add_row(
            p.name,
            f"{settings.SITE_URL}/p/{p.slug}/",
            p.visibility,
            str(queries.live_ideas(p).count()),
            str(p.ideas.filter(state=ModState.PENDING).count()),
        )
    console.print(table)


@portal_app.command("top")
def top(
    workspace: str = typer.Option(..., "--workspace", "-w", help="Workspace slug"),
    portal: str | None = typer.Option(None, help="Portal address (default: the first portal)"),
    sort: str = typer.Option("demand", help="demand, top, trending, newest or updated"),
    limit: int = typer.Option(20, min=1, max=200),
) -> None:
    """The portal's ideas by revenue-weighted demand (or another sort), with votes and status."""
    console = _setup()
    from rich.table import Table

    from harken.portal import queries

    ws = _workspace(workspace)
    chosen = ws.portals.filter(slug=portal).first() if portal else ws.portals.first()
    if chosen is None:
        raise typer.BadParameter("No such portal in this workspace.", param_hint="--portal")
    if sort not in queries.STAFF_SORTS:
        raise typer.BadParameter(f"Use one of {', '.join(queries.STAFF_SORTS)}.", param_hint="--sort")
    board = queries.board(chosen, {"sort": sort}, staff=True, limit=limit)
    table = Table(title=f"{chosen.name}: {queries.STAFF_SORTS[sort].lower()}")
    for col in ("#", "Idea", "Status", "Votes", "Demand (ARR)"):
        table.add_column(col, justify="right" if col in ("#", "Votes", "Demand (ARR)") else "left")
    for row in board.rows:
        table.add_row(
            str(row.idea.pk), row.idea.title, row.status.label, str(row.idea.vote_count), f"{row.idea.demand_arr:,.0f}"
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(portal_app, name="portal")
