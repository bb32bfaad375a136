"""`harken worker`, `harken jobs`, `harken serve` and `harken tick` (the demo has its own: demo/cli.py)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

console = Console()


def _setup() -> None:
    from harken.cli import setup_django

    setup_django()


def _fmt(value: datetime | None) -> str:
    if value is None:
        return "—"
    from django.utils import timezone

    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")


def worker(
    queues: str = typer.Option("*", "--queues", "-q", help="Comma-separated queues to process ('*' = all)"),
    concurrency: int = typer.Option(1, "--concurrency", "-c", min=1, max=64, help="Worker processes to run"),
    once: bool = typer.Option(False, "--once", help="Run due periodic jobs and every ready task, then exit"),
    scheduler: bool = typer.Option(True, "--scheduler/--no-scheduler", help="Also tick periodic jobs"),
    interval: float = typer.Option(1.0, min=0.0, help="Seconds to wait when the queue is empty"),
    tick_seconds: float = typer.Option(30.0, min=1.0, help="Seconds between scheduler ticks"),
) -> None:
    """Run background tasks and periodic jobs until stopped (SIGTERM/Ctrl+C finish the running task first)."""
    _setup()
    from harken.core import worker as worker_mod

    logging.getLogger("harken").setLevel(logging.INFO)
    if once:
        ran = worker_mod.drain(queues, tick=scheduler)
        console.print(f"[green]Queue drained[/green]: {ran} task(s) ran.")
        return
    if concurrency == 1:
        worker_mod.run_forever(queues, scheduler=scheduler, interval=interval, tick_seconds=tick_seconds)
    else:
        worker_mod.Supervisor(
            concurrency, queues, scheduler=scheduler, interval=interval, tick_seconds=tick_seconds
        ).run()


def tick() -> None:
    """Enqueue every periodic job whose latest slot has not run yet (for cron-driven setups)."""
    _setup()
    from harken.core.scheduling import tick as do_tick

    for outcome in do_tick():
        style = {"enqueued": "green", "failed": "red"}.get(outcome.status, "dim")
        console.print(f"[{style}]{outcome.status:>11}[/{style}]  {outcome.job}  {_fmt(outcome.slot)}  {outcome.error}")


def jobs(
    limit: int = typer.Option(20, min=1, max=500, help="How many recent task results to show"),
    failed: bool = typer.Option(False, "--failed", help="Only failed tasks"),
) -> None:
    """Show recent background tasks and the periodic jobs with their last and next runs."""
    _setup()
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from harken.core.models import PeriodicRun
    from harken.core.scheduling import jobs as periodic_jobs

    results = DBTaskResult.objects.order_by("-enqueued_at")
    if failed:
        results = results.filter(status="FAILED")
    table = Table(title="Recent tasks", show_lines=False)
    for column in ("Task", "Queue", "Status", "Enqueued", "Finished", "Took", "Error"):
        table.add_column(column, overflow="fold")
    status_style = {"SUCCESSFUL": "green", "FAILED": "red", "RUNNING": "yellow", "READY": "cyan"}
    for result in results[:limit]:
        took = ""
        if result.started_at and result.finished_at:
            took = f"{(result.finished_at - result.started_at).total_seconds():.1f}s"
        style = status_style.get(result.status, "")
        error = result.exception_class_path.rsplit(".", 1)[-1] if result.exception_class_path else ""
        table.add_row(
            result.task_path.rsplit(".", 2)[-2] + "." + result.task_path.rsplit(".", 1)[-1],
            result.queue_name,
            f"[{style}]{result.status.lower()}[/{style}]" if style else result.status.lower(),
            _fmt(result.enqueued_at),
            _fmt(result.finished_at),
            took,
            error,
        )
    if not table.rows:
        console.print("[dim]No tasks yet.[/dim]")
    else:
        console.print(table)
    stale = DBTaskResult.objects.ready().filter(enqueued_at__lt=timezone.now() - timedelta(minutes=5)).count()
    if stale:
        console.print(
            f"[yellow]{stale} task(s) have waited more than 5 minutes: is a worker running? "
            "Start one with `harken worker`.[/yellow]"
        )

    now = timezone.now()
    periodic = Table(title="Periodic jobs")
    for column in ("Job", "Schedule", "Last slot", "Status", "Next slot"):
        periodic.add_column(column, overflow="fold")
    statuses = {}
    for job in periodic_jobs():
        last = PeriodicRun.objects.filter(job=job.name).order_by("-slot").first()
        status = "never ran"
        if last is not None:
            if last.task_result_id and last.task_result_id not in statuses:
                found = DBTaskResult.objects.filter(id=last.task_result_id).values_list("status", flat=True).first()
                statuses[last.task_result_id] = (found or "pruned").lower()
            status = statuses.get(last.task_result_id, "enqueued")
        schedule = job.cron + ("" if job.tz == "UTC" else f" ({job.tz})")
        periodic.add_row(job.name, schedule, _fmt(last.slot if last else None), status, _fmt(job.next_slot(now)))
    console.print(periodic)


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on (0.0.0.0 for all interfaces)"),
    port: int = typer.Option(8000, min=1, max=65535, envvar="PORT", help="Port to listen on (or $PORT)"),
    threads: int = typer.Option(8, min=1, max=128, help="Request threads per process"),
    processes: int = typer.Option(
        0,
        "--processes",
        "-p",
        min=0,
        max=64,
        envvar="HARKEN_WEB_PROCESSES",
        help="Web processes sharing the port (0 = one per CPU; or $HARKEN_WEB_PROCESSES)",
    ),
    with_worker: bool = typer.Option(False, "--worker", help="Also run a background worker, stopped together"),
) -> None:
    """Serve Harken over HTTP with waitress (static files included), in one process per CPU by default."""
    _setup()
    from harken.core.server import ServeError, default_processes
    from harken.core.server import serve as run_server

    logging.getLogger("harken").setLevel(logging.INFO)
    try:
        run_server(host, port, threads=threads, processes=processes or default_processes(), worker=with_worker)
    except ServeError as exc:
        typer.echo(f"harken serve: {exc}", err=True)
        raise typer.Exit(1) from None


def backup(
    output: str = typer.Option("", "--output", "-o", help="Archive to write (default: ./harken-backup-<time>.tar.gz)"),
) -> None:
    """Back up the database and uploaded files into one .tar.gz (consistent while Harken runs)."""
    _setup()
    from harken.core.backup import BackupError
    from harken.core.backup import backup as do_backup

    try:
        summary = do_backup(Path(output) if output else None)
    except BackupError as exc:
        console.print(f"[red]Backup failed[/red]: {exc}")
        raise typer.Exit(1) from None
    console.print(
        f"[green]Backup written[/green]: {summary.path} ({summary.vendor} database, {summary.media_files} uploaded "
        f"file(s), {summary.size_bytes / 1_048_576:.1f} MB)"
    )


def restore(
    archive: str = typer.Argument(..., help="A file written by `harken backup`"),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation"),
) -> None:
    """Replace the database and uploaded files with a backup's (stop web and workers first)."""
    _setup()
    from django.db import connection

    from harken.core.backup import BackupError, read_manifest
    from harken.core.backup import restore as do_restore

    try:
        manifest = read_manifest(Path(archive))
    except BackupError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    console.print(
        f"Backup of {manifest['created_at']} ({manifest['vendor']}, {manifest['media_files']} uploaded file(s)). "
        f"It REPLACES everything in the {connection.vendor} database {connection.settings_dict['NAME']}."
    )
    if not yes and not typer.confirm("Restore it?"):
        raise typer.Exit(1)
    try:
        do_restore(Path(archive))
    except BackupError as exc:
        console.print(f"[red]Restore failed[/red]: {exc}")
        raise typer.Exit(1) from None
    console.print(
        "[green]Restored.[/green] Run `harken migrate` (for a backup from an older version), then start Harken."
    )


def register(app: typer.Typer) -> None:
    app.command()(worker)
    app.command()(tick)
    app.command()(jobs)
    app.command()(serve)
    app.command()(backup)
    app.command()(restore)
