"""`harken channels import zendesk|intercom|appstore|googleplay|json FILE --workspace SLUG`."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

console = Console()


class Source(StrEnum):
    zendesk = "zendesk"
    intercom = "intercom"
    appstore = "appstore"
    googleplay = "googleplay"
    json = "json"


def register(app: typer.Typer) -> None:
    channels_app = typer.Typer(help="Bring feedback in from other tools' exports.", no_args_is_help=True)
    app.add_typer(channels_app, name="channels")

    @channels_app.command("import")
    def import_export(
        source: Annotated[Source, typer.Argument(help="Which tool's export this is")],
        file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="The export file")],
        workspace: Annotated[str, typer.Option("--workspace", "-w", help="Workspace slug")],
        mapping: Annotated[
            str, typer.Option(help='json importer: field → path as JSON, e.g. \'{"text": "message.body"}\'')
        ] = "",
        channel: Annotated[str, typer.Option(help="json importer: feedback channel")] = "api",
        product_line: Annotated[str, typer.Option("--product-line", help="Product line slug for every item")] = "",
    ) -> None:
        """Import an export file; idempotent by the source's own ids (re-running creates nothing twice)."""
        from harken.cli import setup_django

        setup_django()
        raise typer.Exit(_run(source.value, file, workspace, mapping, channel, product_line))


def _run(source: str, file: Path, slug: str, mapping: str, channel: str, product_line: str) -> int:
    from django.core.exceptions import ValidationError

    from harken.channels.importers.base import IngestResult
    from harken.channels.importers.services import run_import
    from harken.workspaces.access import Actor
    from harken.workspaces.models import Workspace

    workspace = Workspace.objects.filter(slug=slug).first()
    if workspace is None:
        console.print(f"[red]No workspace with the slug '{slug}'.[/red]")
        return 2
    options: dict[str, object] = {}
    if product_line:
        options["product_line"] = product_line
    if source == "json":
        options["channel"] = channel
        if mapping:
            try:
                options["mapping"] = json.loads(mapping)
            except json.JSONDecodeError as exc:
                console.print(f"[red]--mapping is not valid JSON: {exc.msg}[/red]")
                return 2
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[counts]}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        bar = progress.add_task(f"Importing {file.name}", total=None, counts="")

        def report(result: IngestResult) -> None:
            progress.update(
                bar,
                completed=result.total,
                counts=f"{result.created} new · {result.existing} existing · {result.error_count} errors",
            )

        try:
            with file.open("rb") as handle:
                run = run_import(
                    Actor.system(workspace), source, handle, filename=file.name, options=options, progress=report
                )
        except ValidationError as exc:
            console.print(f"[red]{' '.join(exc.messages)}[/red]")
            return 1
        progress.update(bar, total=max(run.total, 1), completed=max(run.total, 1))

    table = Table(title=f"{run.get_source_display()} import #{run.pk}: {run.get_status_display()}")
    for column in ("Records", "New", "Already imported", "Skipped", "Errors"):
        table.add_column(column, justify="right")
    table.add_row(str(run.total), str(run.created), str(run.existing), str(run.skipped), str(run.errors))
    console.print(table)
    if run.failure:
        console.print(f"[red]{run.failure}[/red]")
        return 1
    for problem in run.error_report[:20]:
        style = "red" if problem["level"] == "error" else "yellow"
        console.print(f"[{style}]record {problem['record']}: {problem['reason']}[/{style}]")
    if len(run.error_report) > 20:
        console.print(f"… and {len(run.error_report) - 20} more (see the run page).")
    return 1 if run.errors else 0
