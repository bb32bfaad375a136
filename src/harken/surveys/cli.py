"""`harken surveys …`: surveys with their score, and the reminder job, from a shell."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

surveys_app = typer.Typer(help="NPS, CSAT and free-question surveys.", no_args_is_help=True)
console = Console()


@surveys_app.command("list")
def list_surveys(workspace: str = typer.Option(..., "--workspace", "-w", help="Workspace slug")) -> None:
    """List surveys with answers, score and 95 % interval."""
    from harken.cli import setup_django

    setup_django()
    from harken.surveys import queries
    from harken.workspaces.models import Workspace

    ws = Workspace.objects.filter(slug=workspace).first()
    if ws is None:
        console.print(f"[red]No workspace with the slug '{workspace}'[/red]")
        raise typer.Exit(1)
    table = Table(title=f"Surveys of {ws.name}")
    for column in ("#", "Survey", "Kind", "Status", "Answers", "Score", "95% interval"):
        table.add_column(column)
    for survey in queries.surveys(ws):
        score = queries.results(survey)["score"]
        value = "—" if score.value is None else f"{score.value:.0f}"
        interval = f"{score.low:.0f} to {score.high:.0f}" if score.enough else "not enough data"
        table.add_row(str(survey.pk), survey.name, survey.kind, survey.status, str(score.n), value, interval)
    console.print(table)


@surveys_app.command("send-reminders")
def send_reminders() -> None:
    """Send the due reminders now (the daily job `surveys.send_reminders` does this at 10:00 UTC)."""
    from harken.cli import setup_django

    setup_django()
    from harken.surveys.actions import send_reminders as run

    console.print(f"Queued {run()} reminder(s).")


def register(app: typer.Typer) -> None:
    app.add_typer(surveys_app, name="surveys")
