"""Channel commands for the `harken` CLI."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    from harken.channels.importers.cli import register as register_importers

    register_importers(app)  # `harken channels import …`

    @app.command("mail-in")
    def mail_in(
        host: str = typer.Option("127.0.0.1", help="Address to listen on"),
        port: int = typer.Option(2525, help="Port to listen on"),
    ) -> None:
        """Receive email over SMTP: mail to feedback+<workspace>@… becomes feedback (Ctrl-C to stop)."""
        import logging
        import threading

        from django.db import DatabaseError
        from rich.console import Console

        from harken.cli import setup_django

        setup_django()
        from harken.channels.email.services import max_mail_bytes, plus_address
        from harken.channels.email.smtp import make_controller
        from harken.workspaces.models import Workspace

        console = Console()
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP line at INFO
        try:
            workspaces = list(Workspace.objects.order_by("slug")[:20])
        except DatabaseError as exc:
            console.print(f"[red]The database is not ready ({exc}).[/red] Run `harken migrate` first.")
            raise typer.Exit(1) from None
        controller = make_controller(host, port)
        try:
            controller.start()
        except Exception as exc:  # noqa: BLE001 - port in use, permission denied…
            console.print(f"[red]Could not listen on {host}:{port}: {exc}[/red]")
            raise typer.Exit(1) from None
        console.print(
            f"[green]Harken mail-in listening on {host}:{port}[/green] (limit {max_mail_bytes() // (1024 * 1024)} MB per email)"
        )
        for workspace in workspaces:
            console.print(f"  {workspace.name}: {plus_address(workspace)}")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            console.print("Stopping…")
        finally:
            controller.stop()
