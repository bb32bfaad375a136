"""`harken import accounts|contacts|feedback FILE --workspace SLUG`: the same engine as the web UI, in-process."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

console = Console()


class Kind(StrEnum):
    accounts = "accounts"
    contacts = "contacts"
    feedback = "feedback"


def register(app: typer.Typer) -> None:
    @app.command("import")
    def import_csv(
        kind: Annotated[Kind, typer.Argument(help="What the file holds")],
        file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="The CSV file")],
        workspace: Annotated[str, typer.Option("--workspace", "-w", help="Workspace slug")],
        map_: Annotated[
            list[str] | None,
            typer.Option("--map", "-m", help="COLUMN=FIELD (repeatable); other columns are mapped by their headers"),
        ] = None,
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Check every row and report; write nothing")] = False,
        channel: Annotated[str, typer.Option(help="Feedback channel (feedback imports only)")] = "csv",
        stop_on_first_error: Annotated[
            bool, typer.Option("--stop-on-first-error", help="Write nothing if any row fails")
        ] = False,
        user: Annotated[
            str, typer.Option(help="Act as this member (email); default: the workspace's system actor")
        ] = "",
    ) -> None:
        """Import a CSV file of accounts, contacts or feedback (idempotent: re-running creates nothing twice)."""
        from harken.cli import setup_django

        setup_django()
        raise typer.Exit(_run(kind.value, file, workspace, map_ or [], dry_run, channel, stop_on_first_error, user))


def _run(kind: str, file: Path, slug: str, pairs: list[str], dry_run: bool, channel: str, stop: bool, user: str) -> int:
    from django.core.exceptions import ValidationError

    from harken.imports import services
    from harken.imports.fields import merge_mapping
    from harken.imports.models import ImportStatus
    from harken.workspaces.access import Actor
    from harken.workspaces.models import Membership, Workspace

    workspace = Workspace.objects.filter(slug=slug).first()
    if workspace is None:
        console.print(f"[red]No workspace with the slug '{slug}'.[/red]")
        return 2
    if user:
        membership = (
            Membership.objects.select_related("workspace", "user")
            .filter(workspace=workspace, user__email__iexact=user)
            .first()
        )
        if membership is None:
            console.print(f"[red]{user} is not a member of {workspace.name}.[/red]")
            return 2
        actor = Actor.for_member(membership)
    else:
        actor = Actor.system(workspace)
    overrides: dict[str, str] = {}
    for pair in pairs:
        if "=" not in pair:
            console.print(f"[red]--map expects COLUMN=FIELD, got '{pair}'.[/red]")
            return 2
        column, field = pair.split("=", 1)
        overrides[column] = field
    try:
        with file.open("rb") as handle:
            job = services.create_job(
                actor, kind, handle, filename=file.name, options={"channel": channel, "stop_on_first_error": stop}
            )
        if job.status == ImportStatus.FAILED:
            console.print(f"[red]{job.failure}[/red] (import #{job.pk}; the file is kept)")
            return 1
        services.set_mapping(actor, job, merge_mapping(kind, job.header, job.mapping, overrides))
    except ValidationError as exc:
        for message in exc.messages:
            console.print(f"[red]{message}[/red]")
        return 1
    console.print(
        f"Import #{job.pk}: {job.original_name}, {job.encoding}, "
        f"{services.csvio.DELIMITER_NAMES.get(job.delimiter, job.delimiter)}-separated"
    )
    console.print("Mapping: " + ", ".join(f"{c} → {f}" for f, c in job.mapping.items()))
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[rows]} rows"),
        TimeRemainingColumn(),
        console=console,
    ) as bar:
        task_id = bar.add_task("Checking" if dry_run else "Importing", total=job.size, rows=0)

        def update(done: int, total: int, rows: int) -> None:
            bar.update(task_id, completed=done, rows=rows)

        job = services.run_dry(actor, job, update) if dry_run else services.run(actor, job, update)
    _print_summary(job, dry_run)
    return 0 if job.status in (ImportStatus.DONE, ImportStatus.PREVIEWED) else 1


def _print_summary(job: object, dry_run: bool) -> None:
    from harken.imports.models import ImportJob, ImportStatus
    from harken.imports.services import describe

    assert isinstance(job, ImportJob)
    if job.status == ImportStatus.FAILED:
        console.print(f"[red]Failed:[/red] {job.failure}")
    table = Table(title=("Dry run: nothing written" if dry_run else "Imported") + f" · {job.total_rows} rows")
    table.add_column("Result")
    table.add_column("Rows", justify="right")
    prefix = "would be " if dry_run else ""
    for label, value in (
        (f"{prefix}created", job.created),
        (f"{prefix}updated", job.updated),
        ("unchanged (already present)", job.skipped),
        ("duplicates in file", job.duplicates),
        ("errors (skipped)", job.errors),
    ):
        table.add_row(label, str(value))
    console.print(table)
    for problem in job.error_report[:200]:
        colour = "yellow" if problem.get("level") == "warning" else "red"
        console.print(f"[{colour}]{describe(problem)}[/{colour}]", highlight=False)
    if len(job.error_report) > 200:
        console.print(f"…and {len(job.error_report) - 200} more; see the job page or GET /api/imports/{job.pk}.")
