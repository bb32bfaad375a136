"""Channel commands for the `harken` CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    channels_app = typer.Typer(help="Bring feedback in from other tools' exports.", no_args_is_help=True)
    app.add_typer(channels_app, name="channels")

    @channels_app.command("import")
    def import_export(
        source: Annotated[str, typer.Argument(help="zendesk, intercom, appstore, googleplay or json")],
        file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="The export file")],
        workspace: Annotated[str, typer.Option("--workspace", "-w", help="Workspace slug")],
        mapping: Annotated[
            str, typer.Option(help='json importer: field → path as JSON, e.g. \'{"text": "message.body"}\'')
        ] = "",
        channel: Annotated[str, typer.Option(help="json importer: feedback channel")] = "",
        product_line: Annotated[str, typer.Option("--product-line", help="Product line slug for every item")] = "",
    ) -> None:
        """Same as `harken import feedback FILE --source SOURCE` (kept for existing scripts)."""
        from harken.cli import setup_django
        from harken.imports.cli import Options, console, run_cli

        if source not in ("zendesk", "intercom", "appstore", "googleplay", "json"):
            console.print(f"[red]Unknown importer '{source}'.[/red]")
            raise typer.Exit(2)
        pairs: list[str] = []
        if mapping:
            try:
                pairs = [f"{k}={v}" for k, v in dict(json.loads(mapping)).items()]
            except (ValueError, TypeError) as exc:
                console.print(f"[red]--mapping is not a JSON object: {exc}[/red]")
                raise typer.Exit(2) from None
        setup_django()
        options = Options(source=source, pairs=pairs, channel=channel, product_line=product_line)
        raise typer.Exit(run_cli("feedback", file, workspace, options))

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
        from harken.channels.email.services import inbound_domain_unset_and_local, max_mail_bytes, plus_address
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
        if inbound_domain_unset_and_local():
            console.print(
                "[yellow]These addresses use SITE_URL's host: set HARKEN_INBOUND_DOMAIN to a domain whose MX "
                "record points here.[/yellow]"
            )
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            console.print("Stopping…")
        finally:
            controller.stop()
