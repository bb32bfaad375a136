"""`harken conversations import-ics FILE --workspace SLUG`: the calendar import of the web UI, with a progress bar."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

console = Console()
conversations_app = typer.Typer(help="The conversation log and its weekly cadence.", no_args_is_help=True)


def _date(value: str, label: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        return dt.datetime.combine(dt.date.fromisoformat(value), dt.time(0, 0), tzinfo=dt.UTC)
    except ValueError:
        console.print(f"[red]{label} must be a date like 2026-01-31, got '{value}'.[/red]")
        raise typer.Exit(2) from None


@conversations_app.command("import-ics")
def import_ics(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="The .ics calendar file")],
    workspace: Annotated[str, typer.Option("--workspace", "-w", help="Workspace slug")],
    as_user: Annotated[
        str,
        typer.Option("--as", "--user", help="Act as this member (email); meetings count for the organizer if a member"),
    ] = "",
    product_line: Annotated[
        str, typer.Option("--product-line", help="Product line slug for every imported meeting")
    ] = "",
    since: Annotated[str, typer.Option(help="Only meetings from this date (default: a year ago)")] = "",
    until: Annotated[str, typer.Option(help="Only meetings before this date (default: now)")] = "",
) -> None:
    """Import meetings with customers from an .ics file as conversations (re-running adds nothing twice)."""
    from harken.cli import setup_django

    setup_django()
    from django.core.exceptions import ValidationError

    from harken.conversations import ics
    from harken.workspaces.access import Actor
    from harken.workspaces.models import Membership, Workspace

    ws = Workspace.objects.filter(slug=workspace).first()
    if ws is None:
        console.print(f"[red]No workspace with the slug '{workspace}'.[/red]")
        raise typer.Exit(1)
    actor = Actor.system(ws)
    if as_user:
        membership = Membership.objects.filter(workspace=ws, user__email__iexact=as_user).select_related("user").first()
        if membership is None:
            console.print(f"[red]{as_user} is not a member of {ws.name}.[/red]")
            raise typer.Exit(1)
        actor = Actor.for_member(membership)
    line = None
    if product_line:
        line = ws.product_lines.filter(slug=product_line).first()
        if line is None:
            console.print(f"[red]No product line '{product_line}' in {ws.name}.[/red]")
            raise typer.Exit(1)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console) as bar:
        task = bar.add_task("Importing meetings", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            record, result = ics.import_calendar(
                actor,
                file.read_bytes(),
                filename=file.name,
                product_line=line,
                since=_date(since, "--since"),
                until=_date(until, "--until"),
                progress=progress,
            )
        except ValidationError as exc:
            bar.stop()
            console.print(f"[red]{'; '.join(exc.messages)}[/red]")
            raise typer.Exit(1) from None
    console.print(
        f"{result.events} events read: [green]{result.created} created[/green], "
        f"{result.existing} already imported, {result.skipped} skipped (import #{record.pk})."
    )
    for problem in result.problems[:50]:
        console.print(f"  [yellow]•[/yellow] {problem}")
    if len(result.problems) > 50:
        console.print(f"  …and {len(result.problems) - 50} more.")


def register(app: typer.Typer) -> None:
    app.add_typer(conversations_app, name="conversations")
