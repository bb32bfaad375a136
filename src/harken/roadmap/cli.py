"""`harken roadmap …`: the roadmap by score, promises, and the slip check from a shell."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

roadmap_app = typer.Typer(help="Roadmap items, promises and delay notices.", no_args_is_help=True)
console = Console()


def _workspace(slug: str):  # type: ignore[no-untyped-def]
    from harken.workspaces.models import Workspace

    ws = Workspace.objects.filter(slug=slug).first()
    if ws is None:
        console.print(f"[red]No workspace with the slug '{slug}'[/red]")
        raise typer.Exit(1)
    return ws


@roadmap_app.command("items")
def items(
    workspace: str = typer.Option(..., "--workspace", "-w", help="Workspace slug"),
    sort: str = typer.Option("rice", help="rice, reach, arr, fit, effort or title"),
    line: str = typer.Option("", help="Product line slug"),
    open_only: bool = typer.Option(False, "--open", help="Leave out shipped and declined items"),
) -> None:
    """List roadmap items with status, reach, ARR at stake and RICE."""
    from harken.cli import setup_django

    setup_django()
    from harken.roadmap import queries

    if sort not in queries.SORTS:
        console.print(f"[red]Unknown sort '{sort}'; use {', '.join(queries.SORTS)}[/red]")
        raise typer.Exit(2)
    rows = queries.rows(_workspace(workspace), line=line, sort=sort, include_closed=not open_only)
    table = Table(title=f"{len(rows)} roadmap items")
    for column in ("#", "Item", "Status", "Target", "Reach", "ARR at stake", "RICE", "Fit"):
        table.add_column(column, justify="right" if column in ("#", "Reach", "ARR at stake", "RICE", "Fit") else "left")
    for r in rows:
        item = r["item"]
        table.add_row(
            str(item.pk),
            item.title,
            r["status"].label,
            item.target_date.isoformat() if item.target_date else item.target_release,
            str(r["score"].reach),
            f"{r['score'].arr:,.0f}",
            f"{r['score'].rice:g}",
            f"{r['score'].value_fit}/3",
        )
    console.print(table)


@roadmap_app.command("promises")
def promise_list(workspace: str = typer.Option(..., "--workspace", "-w", help="Workspace slug")) -> None:
    """Promises and the promise metrics (kept on time, notices before the date)."""
    from harken.cli import setup_django

    setup_django()
    from harken.roadmap import promises

    ws = _workspace(workspace)
    table = Table(title="Promises")
    for column in ("Item", "To", "Date", "Status"):
        table.add_column(column)
    for p in ws.roadmap_promises.select_related("item", "account", "contact").order_by("target_date"):
        table.add_row(p.item.title, p.who, p.target_date.isoformat(), p.get_status_display())
    console.print(table)
    m = promises.metrics(ws)
    console.print(
        f"Kept on time: {m['kept_on_time']} of {m['due']} due · notices before the date: "
        f"{m['notices_before']} of {m['notices_sent']} · drafts to review: {m['drafts']}"
    )


@roadmap_app.command("check-slips")
def check_slips(workspace: str = typer.Option(..., "--workspace", "-w", help="Workspace slug")) -> None:
    """Run the daily slip check now: draft a delay notice for every new slip."""
    from harken.cli import setup_django

    setup_django()
    from harken.roadmap.promises import detect_slips

    found = detect_slips(_workspace(workspace))
    for notice in found:
        console.print(
            f"{notice.promise.item.title}: {notice.get_reason_display()} → draft for {notice.to_email or '?'}"
        )
    console.print(f"{len(found)} new slip(s).")


def register(app: typer.Typer) -> None:
    app.add_typer(roadmap_app, name="roadmap")
