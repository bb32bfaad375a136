"""`harken insight …`: embed (backfill), similar items, duplicates, distil the fast embedder."""

from __future__ import annotations

from typing import Any

import typer

insight_app = typer.Typer(help="Embeddings, similar feedback and duplicates.", no_args_is_help=True)


def _setup() -> Any:
    from rich.console import Console

    from harken.cli import setup_django

    setup_django()
    return Console()


def _workspaces(slug: str | None, all_: bool) -> list[Any]:
    from harken.workspaces.models import Workspace

    if slug:
        ws = Workspace.objects.filter(slug=slug).first()
        if ws is None:
            raise typer.BadParameter(f"No workspace with slug “{slug}”.", param_hint="--workspace")
        return [ws]
    if not all_:
        raise typer.BadParameter("Give --workspace SLUG, or --all for every workspace.")
    return list(Workspace.objects.order_by("slug"))


@insight_app.command("embed")
def embed(
    workspace: str | None = typer.Option(None, "--workspace", "-w", help="Workspace slug"),
    all_: bool = typer.Option(False, "--all", help="Every workspace"),
    force: bool = typer.Option(False, help="Re-embed items even when their vector is current"),
    embedder: str | None = typer.Option(None, help="Embedder name (default: HARKEN_EMBEDDER)"),
) -> None:
    """Compute missing or stale embeddings (idempotent; safe to re-run)."""
    console = _setup()
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from harken.insight import services
    from harken.insight.embeddings import get_embedder

    try:
        chosen = get_embedder(embedder)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--embedder") from exc
    for ws in _workspaces(workspace, all_):
        total = ws.feedback_items.count()
        with Progress(
            TextColumn(f"[bold]{ws.slug}[/bold] ({chosen.name})"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
        ) as progress:
            bar = progress.add_task("embed", total=total or 1)

            def advance(done: int, _total: int, bar: Any = bar) -> None:
                progress.update(bar, completed=done)

            count = services.embed_workspace(ws, embedder_name=chosen.name, force=force, progress=advance)
            progress.update(bar, completed=total or 1)
        console.print(f"{ws.slug}: embedded {count} of {total} item(s); the rest were already current.")


@insight_app.command("similar")
def similar(item_id: int, limit: int = typer.Option(10, min=1, max=50)) -> None:
    """List the feedback most similar to ITEM_ID (in its own workspace)."""
    console = _setup()
    from rich.table import Table

    from harken.feedback.models import Feedback
    from harken.insight import services
    from harken.workspaces.access import Actor

    item = Feedback.objects.select_related("workspace").filter(pk=item_id).first()
    if item is None:
        raise typer.BadParameter(f"No feedback item #{item_id}.")
    rows = services.similar_items(Actor.system(item.workspace), item, limit)
    table = Table(title=f"Similar to #{item.pk}: {item.headline[:60]}")
    for col in ("id", "score", "headline", "account"):
        table.add_column(col)
    for s in rows:
        table.add_row(
            str(s.feedback.pk),
            f"{s.score:.3f}",
            s.feedback.headline[:80],
            s.feedback.account.name if s.feedback.account else "",
        )
    console.print(table if rows else "No similar items (is the workspace embedded? run `harken insight embed`).")


@insight_app.command("duplicates")
def duplicates(
    workspace: str = typer.Option(..., "--workspace", "-w", help="Workspace slug"),
    scan: bool = typer.Option(False, help="Run the duplicate finder over every item first (files new suggestions)"),
    limit: int = typer.Option(50, min=1),
) -> None:
    """List open duplicate suggestions of a workspace."""
    console = _setup()
    from rich.progress import track
    from rich.table import Table

    from harken.insight import services
    from harken.workspaces.access import Actor

    ws = _workspaces(workspace, False)[0]
    if scan:
        services.embed_workspace(ws)
        found = 0
        items = list(ws.feedback_items.order_by("pk").only("pk", "workspace_id", "title", "text"))
        chunks = [items[i : i + 200] for i in range(0, len(items), 200)]
        for chunk in track(chunks, description="Scanning", console=console):
            found += len(services.suggest_duplicates_many(ws, chunk))
        console.print(f"{found} new suggestion(s).")
    rows = list(services.open_suggestions(Actor.system(ws))[:limit])
    table = Table(title=f"Open duplicate suggestions in {ws.slug}")
    for col in ("suggestion", "score", "new item", "earlier item"):
        table.add_column(col)
    for s in rows:
        table.add_row(
            str(s.pk),
            f"{s.score:.3f}",
            f"#{s.item_id} {s.item.headline[:50]}",
            f"#{s.candidate_id} {s.candidate.headline[:50]}",
        )
    console.print(table if rows else "No open duplicate suggestions.")


@insight_app.command("distill")
def distill() -> None:
    """Build the fast static embedder (model2vec, from the local MiniLM; no download, ~30 s)."""
    console = _setup()
    from harken.insight.embeddings import distill_static_model

    path = distill_static_model()
    console.print(f"Static model written to {path}. Use it with HARKEN_EMBEDDER=minilm-static.")


def register(app: typer.Typer) -> None:
    from harken.insight.themes.cli import add_commands  # themes, problems, trends, classify

    add_commands(insight_app)
    app.add_typer(insight_app, name="insight")
