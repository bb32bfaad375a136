"""The `harken` command. Apps add commands through `harken.<app>.cli.register(app)`.

Django is set up lazily in the callback so `harken --help` stays fast.
"""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import import_module
from importlib.util import find_spec

import typer
from rich.console import Console

from harken.core.registry import HARKEN_APPS

app = typer.Typer(help="Harken: a self-hosted customer-focus hub for product teams.", no_args_is_help=True)
console = Console()


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "harken.settings")
    import django

    django.setup()


def call(*args: str) -> None:
    """Run a Django management command in-process."""
    setup_django()
    from django.core.management import call_command

    call_command(*args)


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema (idempotent)."""
    call("migrate", "--noinput")


@app.command()
def check(deploy: bool = typer.Option(False, help="Also run Django's deployment checks")) -> None:
    """Check configuration, the database connection and pending migrations."""
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    call_command("check", *(["--deploy", "--fail-level", "WARNING"] if deploy else []))
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    console.print(f"[green]Database reachable[/green] ({connection.vendor})")
    try:
        call_command("migrate", "--check", "--noinput")
    except SystemExit:
        console.print("[red]The database has unapplied migrations[/red]: run `harken migrate`.")
        raise typer.Exit(1) from None
    console.print("[green]No unapplied migrations[/green]")


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def manage(ctx: typer.Context) -> None:
    """Run any Django management command: `harken manage shell`."""
    setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["harken manage", *ctx.args])


def python_exe() -> str:
    return sys.executable


def run_subprocess(args: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([python_exe(), "-m", "harken.cli", *args])


def _register_app_commands() -> None:
    for name in HARKEN_APPS:
        if find_spec(f"harken.{name}.cli"):
            module = import_module(f"harken.{name}.cli")
            module.register(app)
    if find_spec("harken.core.cli"):
        import_module("harken.core.cli").register(app)


_register_app_commands()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
