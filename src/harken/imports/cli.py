"""`harken import accounts|contacts|feedback FILE --workspace SLUG [--source zendesk]`: the same pipeline
as the web UI and the API (one job, committed in short chunks), run in this process with a Rich bar."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn
from rich.table import Table

console = Console()


class Source(StrEnum):
    csv = "csv"
    zendesk = "zendesk"
    intercom = "intercom"
    appstore = "appstore"
    googleplay = "googleplay"
    json = "json"


class Kind(StrEnum):
    accounts = "accounts"
    contacts = "contacts"
    feedback = "feedback"


def register(app: typer.Typer) -> None:
    @app.command("import")
    def import_csv(
        kind: Annotated[Kind, typer.Argument(help="What the file holds")],
        file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="The file")],
        workspace: Annotated[str, typer.Option("--workspace", "-w", help="Workspace slug")],
        source: Annotated[
            Source, typer.Option("--source", "-s", help="csv (map the columns) or another tool's export (feedback)")
        ] = Source.csv,
        map_: Annotated[
            list[str] | None,
            typer.Option(
                "--map", "-m", help="COLUMN=FIELD (repeatable; csv) or FIELD=PATH (source json); others are guessed"
            ),
        ] = None,
        product_line: Annotated[
            str, typer.Option("--product-line", help="Other tools' exports: product line slug for every item")
        ] = "",
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Check every row and report; write nothing")] = False,
        channel: Annotated[
            str, typer.Option(help="Feedback channel (csv feedback: default csv; source json: api)")
        ] = "",
        stop_on_first_error: Annotated[
            bool, typer.Option("--stop-on-first-error", help="Write nothing if any row fails")
        ] = False,
        user: Annotated[
            str, typer.Option(help="Act as this member (email); default: the workspace's system actor")
        ] = "",
    ) -> None:
        """Import a CSV of accounts, contacts or feedback, or another tool's export of feedback (--source).

        Idempotent: re-running creates nothing twice. Exit code 1 when the import fails (for another
        tool's export also when a record had an error); the run is the same job as on the web page.
        """
        from harken.cli import setup_django

        setup_django()
        options = Options(
            source=source.value,
            pairs=map_ or [],
            dry_run=dry_run,
            channel=channel,
            stop=stop_on_first_error,
            user=user,
            product_line=product_line,
        )
        raise typer.Exit(run_cli(kind.value, file, workspace, options))


@dataclass
class Options:
    source: str = "csv"
    pairs: list[str] = field(default_factory=list)
    dry_run: bool = False
    channel: str = ""
    stop: bool = False
    user: str = ""
    product_line: str = ""


def run_cli(kind: str, file: Path, slug: str, opts: Options) -> int:
    from django.core.exceptions import ValidationError

    from harken.imports import actions, csvio
    from harken.imports.fields import merge_mapping
    from harken.imports.models import ImportSource, ImportStatus
    from harken.workspaces.access import Actor
    from harken.workspaces.models import Membership, Workspace

    workspace = Workspace.objects.filter(slug=slug).first()
    if workspace is None:
        console.print(f"[red]No workspace with the slug '{slug}'.[/red]")
        return 2
    user, pairs, dry_run = opts.user, opts.pairs, opts.dry_run
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
    if opts.source != ImportSource.CSV:
        kind = "feedback"
    options: dict[str, object] = {"stop_on_first_error": opts.stop}
    if opts.channel:
        options["channel"] = opts.channel
    if opts.product_line:
        options["product_line"] = opts.product_line
    if opts.source == ImportSource.JSON and overrides:
        options["mapping"] = overrides
    try:
        with file.open("rb") as handle:
            job = actions.create_job(actor, kind, handle, filename=file.name, options=options, source=opts.source)
        if job.status == ImportStatus.FAILED:
            console.print(f"[red]{job.failure}[/red] (import #{job.pk}; the file is kept)")
            return 1
        if opts.source == ImportSource.CSV:
            actions.set_mapping(actor, job, merge_mapping(kind, job.header, job.mapping, overrides))
        else:
            actions.set_mapping(actor, job, {})
    except ValidationError as exc:
        for message in exc.messages:
            console.print(f"[red]{message}[/red]")
        return 1
    if opts.source == ImportSource.CSV:
        console.print(
            f"Import #{job.pk}: {job.original_name}, {job.encoding}, "
            f"{csvio.DELIMITER_NAMES.get(job.delimiter, job.delimiter)}-separated"
        )
        console.print("Mapping: " + ", ".join(f"{c} → {f}" for f, c in job.mapping.items()))
    else:
        console.print(f"Import #{job.pk}: {job.original_name}, {job.get_source_display()}")
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rows]} rows"),
        TimeRemainingColumn(),
        console=console,
    ) as bar:
        task_id = bar.add_task("Checking" if dry_run else "Importing", total=100, rows=0)

        def update(done: int, total: int, rows: int) -> None:
            bar.update(task_id, completed=done * 100 // total if total else 0, rows=rows)

        job = actions.run_dry(actor, job, update) if dry_run else actions.run(actor, job, update)
    _print_summary(job, dry_run)
    if job.status not in (ImportStatus.DONE, ImportStatus.PREVIEWED):
        return 1
    return 1 if job.errors and opts.source != ImportSource.CSV else 0


def _print_summary(job: object, dry_run: bool) -> None:
    from harken.imports.models import ImportJob, ImportStatus
    from harken.imports.queries import describe

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
        ("nothing to import (e.g. rating only)", job.ignored),
        ("errors (skipped)", job.errors),
    ):
        table.add_row(label, str(value))
    console.print(table)
    for problem in job.error_report[:200]:
        colour = "yellow" if problem.get("level") == "warning" else "red"
        console.print(f"[{colour}]{describe(problem)}[/{colour}]", highlight=False)
    if len(job.error_report) > 200:
        console.print(f"…and {len(job.error_report) - 200} more; see the job page or GET /api/imports/{job.pk}.")
