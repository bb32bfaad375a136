"""`harken demo`: load the "Acme Analytics" demo workspace (the demo's own CLI; core knows no demo)."""

from __future__ import annotations

import typer
from rich.console import Console

console = Console()


def demo(
    reset: bool = typer.Option(False, "--reset", help="Delete and rebuild the demo workspace"),
    items: int = typer.Option(2200, min=10, max=200_000, help="How many feedback items to generate"),
    host: str = typer.Option("127.0.0.1", help="The address `harken serve` will listen on (for the printed URL)"),
    port: int = typer.Option(
        8000, min=1, max=65535, envvar="PORT", help="The port `harken serve` will listen on (or $PORT)"
    ),
) -> None:
    """Load the "Acme Analytics" demo workspace (idempotent) and print how to sign in."""
    from harken.core.cli import _setup

    _setup()
    from django.core.management import call_command
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from harken.demo import DEMO_PASSWORD, DEMO_USER_EMAIL, load_demo

    console.print("Applying migrations…")
    call_command("migrate", "--noinput", verbosity=0)
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        bar = progress.add_task("Demo data", total=None)

        def report(step: str, done: int, total: int) -> None:
            progress.update(bar, description=step, completed=done, total=total)

        result = load_demo(items=items, reset=reset, progress=report)
    if result.created:
        console.print(
            f"[green]Demo workspace “{result.workspace.name}” ready[/green]: {result.accounts} accounts, "
            f"{result.contacts} contacts, {result.feedback} feedback items."
        )
    else:
        console.print(
            f"[yellow]Demo workspace “{result.workspace.name}” already exists[/yellow] "
            f"({result.feedback} feedback items); use --reset to rebuild it."
        )
    if result.queued_tasks:
        console.print(f"{result.queued_tasks} background task(s) queued: run `harken worker` (or `serve --worker`).")
    console.print(f"\nOpen [bold]{served_url(host, port)}[/bold] and sign in as")
    console.print(f"  email:    [bold]{DEMO_USER_EMAIL}[/bold]\n  password: [bold]{DEMO_PASSWORD}[/bold]")


def served_url(host: str, port: int) -> str:
    """Where `harken serve --host HOST --port PORT` answers (a wildcard address is reached on localhost)."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host  # noqa: S104 - a URL to print, not a bind
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def register(app: typer.Typer) -> None:
    app.command()(demo)
