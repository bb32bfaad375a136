"""`harken bootstrap` (first run: an admin user and a workspace), `harken create-token` and `harken export`."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def bootstrap(
        email: str = typer.Option(..., help="Email of the first user (also a Django admin superuser)"),
        password: str = typer.Option(
            ..., prompt=True, hide_input=True, confirmation_prompt=True, help="Their password"
        ),
        name: str = typer.Option("", help="Their display name"),
        workspace: str = typer.Option("", help="Name of a workspace to create (owned by this user)"),
    ) -> None:
        """Create the first user and workspace. Safe to run again: existing ones are kept."""
        from harken.cli import console, setup_django

        setup_django()
        from django.core.exceptions import ValidationError

        from harken.workspaces.bootstrap import bootstrap as run

        try:
            result = run(email=email, password=password, name=name, workspace_name=workspace)
        except ValidationError as error:
            console.print(f"[red]{' '.join(error.messages)}[/red]")
            raise typer.Exit(1) from None
        console.print(
            f"User {result.user.email}: {'created' if result.user_created else 'already existed (password updated)'}"
        )
        if result.workspace:
            verb = "created" if result.workspace_created else "already existed"
            console.print(
                f"Workspace {result.workspace.name} (/w/{result.workspace.slug}/): {verb}; {result.user.email} is an owner"
            )

    @app.command("create-token")
    def create_token(
        workspace: str = typer.Option(..., help="Workspace slug"),
        name: str = typer.Option(..., help="What the token is for"),
        read_only: bool = typer.Option(False, "--read-only", help="Create a read-only token"),
    ) -> None:
        """Print a new API token for a workspace (shown once; only its hash is stored)."""
        from harken.cli import console, setup_django

        setup_django()
        from django.core.exceptions import ValidationError

        from harken.workspaces import services
        from harken.workspaces.access import Actor
        from harken.workspaces.models import Role, Workspace

        ws = Workspace.objects.filter(slug=workspace).first()
        if ws is None:
            console.print(f"[red]No workspace with slug “{workspace}”.[/red]")
            raise typer.Exit(1)
        owner = ws.memberships.filter(role=Role.OWNER).select_related("user").order_by("created_at").first()
        actor = Actor(workspace=ws, user=owner.user if owner else None, role=Role.OWNER)
        try:
            _token, raw = services.create_api_token(actor, name=name, can_write=not read_only)
        except ValidationError as error:
            console.print(f"[red]{' '.join(error.messages)}[/red]")
            raise typer.Exit(1) from None
        typer.echo(raw)

    @app.command()
    def export(
        workspace: str = typer.Option(..., "--workspace", "-w", help="Slug of the workspace to export"),
        fmt: str = typer.Option(
            "json", "--format", "-f", help="json (one file) or csv (a zip of CSV files and uploads)"
        ),
        output: str = typer.Option("", "--output", "-o", help="File to write"),
    ) -> None:
        """Export everything a workspace owns (feedback, customers, triage, themes, settings…) to JSON or CSV."""
        from pathlib import Path

        from harken.cli import console, setup_django

        setup_django()
        from harken.core.export import ExportError
        from harken.core.export import export as do_export
        from harken.workspaces import audit
        from harken.workspaces.access import Actor
        from harken.workspaces.models import AuditAction

        try:
            summary = do_export(workspace, fmt.lower(), Path(output) if output else None)
        except ExportError as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from None
        rows = sum(summary.counts.values())
        audit.record(
            Actor.system(summary.workspace),
            AuditAction.EXPORTED,
            f"harken export --format {fmt.lower()}: {rows} rows, {summary.files} files",
        )
        console.print(
            f"[green]Exported[/green] {rows} rows from {len(summary.counts)} tables"
            + (f" and {summary.files} uploaded file(s)" if summary.files else "")
            + f" to {summary.path}"
        )
