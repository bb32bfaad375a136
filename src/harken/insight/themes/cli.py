"""`harken insight themes|problems|trends|classify`: added to the `harken insight` group."""

from __future__ import annotations

from typing import Any

import typer


def _setup() -> Any:
    from rich.console import Console

    from harken.cli import setup_django

    setup_django()
    return Console()


def _workspace(slug: str) -> Any:
    from harken.workspaces.models import Workspace

    ws = Workspace.objects.filter(slug=slug).first()
    if ws is None:
        raise typer.BadParameter(f"No workspace with slug “{slug}”.", param_hint="--workspace")
    return ws


def themes(
    workspace: str = typer.Option(..., "--workspace", "-w", help="Workspace slug"),
    recompute: bool = typer.Option(True, "--recompute/--list", help="Re-cluster first (default), or only list"),
    limit: int = typer.Option(30, min=1),
) -> None:
    """Re-cluster a workspace's feedback into themes (keeps identities and user edits), then list them."""
    console = _setup()
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from harken.insight.themes import services
    from harken.workspaces.access import Actor

    ws = _workspace(workspace)
    if recompute:
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            bar = progress.add_task("themes", total=1.0)
            stats = services.recluster(
                ws, progress=lambda stage, share: progress.update(bar, completed=share, description=stage)
            )
        console.print(
            f"{stats['themes']} themes over {stats['items']} items: {stats['kept']} kept, {stats['new']} new, "
            f"{stats['retired']} retired; {stats['unassigned']} items in no theme."
        )
    rows = services.summaries(Actor.system(ws))[:limit]
    table = Table(title=f"Themes in {ws.slug}")
    for col in ("id", "theme", "items", "accounts", "ARR", "last 12 weeks", ""):
        table.add_column(col)
    for r in rows:
        table.add_row(
            str(r.theme.pk),
            r.theme.name[:60],
            str(r.size),
            str(r.accounts),
            f"{r.arr:,.0f}",
            " ".join(map(str, r.weekly)),
            "emerging" if r.emerging else "",
        )
    console.print(table if rows else "No themes (a theme needs at least three similar items).")


def _evidence(ws: Any, **params: str) -> Any:
    """The Top problems page's and API's evidence filter (harken.insight.filters), from the options;
    a bad value is a usage error naming the option, like the API's 422."""
    from django.core.exceptions import ValidationError

    from harken.insight import filters

    try:
        return filters.parse(ws, params)
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            raise typer.BadParameter(" ".join(messages), param_hint=f"--{key.replace('_', '-')}") from None
        raise


def problems(
    workspace: str = typer.Option(..., "--workspace", "-w", help="Workspace slug"),
    limit: int = typer.Option(15, min=1),
    segment: str = typer.Option("", help="Saved segment (id or name): only items from its accounts"),
    plan: str = typer.Option("", help="Account plan (case-insensitive)"),
    product_line: str = typer.Option("", "--product-line", help="Product line (id, slug or name)"),
    stage: str = typer.Option("", help="Account lifecycle stage, e.g. active, at_risk"),
    since: str = typer.Option("", help="Received on or after YYYY-MM-DD (workspace time zone)"),
    until: str = typer.Option("", help="Received on or before YYYY-MM-DD (workspace time zone)"),
) -> None:
    """Top problems: themes by revenue-weighted evidence, with each component of the score.

    The filters are the Top problems page's and API's: only the items they keep count."""
    console = _setup()
    from rich.table import Table

    from harken.insight.themes.problems import top_problems
    from harken.workspaces.access import Actor

    ws = _workspace(workspace)
    evidence = _evidence(
        ws, segment=segment, plan=plan, product_line=product_line, stage=stage, since=since, until=until
    )
    rows = top_problems(Actor.system(ws), limit=limit, evidence=evidence if evidence.active else None)
    table = Table(title=f"Top problems in {ws.slug} (score = Σ accounts revenue × segment × recency × severity)")
    if evidence.active:
        table.caption = "Only: " + " · ".join(evidence.chips())
    for col in (
        "#",
        "theme",
        "score",
        "accounts",
        "ARR",
        "revenue×",
        "segment×",
        "recency×",
        "severity×",
        "no-account",
    ):
        table.add_column(col, justify="left" if col == "theme" else "right")
    for i, p in enumerate(rows, 1):
        table.add_row(
            str(i),
            p.theme.name[:50],
            f"{p.score:.2f}",
            str(p.accounts),
            f"{p.arr:,.0f}",
            f"{p.revenue:.2f}",
            f"{p.segment:.2f}",
            f"{p.recency:.2f}",
            f"{p.severity:.2f}",
            str(p.anonymous),
        )
    if rows:
        console.print(table)
    elif evidence.active:
        console.print("No theme has items matching " + " · ".join(evidence.chips()) + ".")
    else:
        console.print("No themes yet: run `harken insight themes -w SLUG`.")


def trends(workspace: str = typer.Option(..., "--workspace", "-w", help="Workspace slug")) -> None:
    """Run the emerging-trend test now and store alerts for flagged themes."""
    console = _setup()
    from harken.insight.themes.trends import detect_trends

    ws = _workspace(workspace)
    alerts = detect_trends(ws)
    for a in alerts:
        console.print(
            f"{a.theme.name}: {a.metric} ×{a.ratio:.1f} ({a.recent} vs {a.baseline} over {a.baseline_weeks} weeks, q={a.q_value:.4f})"
        )
    console.print(f"{len(alerts)} new alert(s).")


def classify(workspace: str = typer.Option(..., "--workspace", "-w", help="Workspace slug")) -> None:
    """Compute category and sentiment for every item (people's corrections are kept)."""
    console = _setup()
    from rich.progress import track

    from harken.insight.services import embed_workspace
    from harken.insight.themes.classify import classify_items

    ws = _workspace(workspace)
    embed_workspace(ws)
    items = list(ws.feedback_items.order_by("pk").only("pk", "workspace_id", "title", "text"))
    done = 0
    for start in track(range(0, len(items), 256), description="Classifying", console=console):
        done += len(classify_items(ws, items[start : start + 256]))
    console.print(f"Classified {done} item(s); corrected ones were left as people set them.")


def themestats(
    workspace: str | None = typer.Option(None, "--workspace", "-w", help="Workspace slug"),
    all_: bool = typer.Option(False, "--all", help="Every workspace"),
    check: bool = typer.Option(False, "--check", help="Only compare stored and counted figures; exit 1 if they differ"),
) -> None:
    """Recount the stored per-theme figures (theme list and theme page) from the items: the repair
    (idempotent; re-clustering does the same at its end). Also builds them for a workspace that has
    none yet (e.g. right after the migration that added them)."""
    console = _setup()
    from harken.insight.themes import stats
    from harken.workspaces.models import Workspace

    if all_ == (workspace is not None):
        raise typer.BadParameter("Give --workspace or --all.", param_hint="--workspace")
    targets = list(Workspace.objects.order_by("pk")) if all_ else [_workspace(str(workspace))]
    wrong = 0
    for ws in targets:
        if check:
            diff = stats.differences(ws)
            n = sum(len(d) for d in diff.values())
            wrong += n
            console.print(f"{ws.slug}: {'figures equal the items' if not n else f'{n} stored figure(s) differ'}")
        else:
            result = stats.rebuild(ws)
            console.print(
                f"{ws.slug}: {result['weeks']} theme-weeks, {result['accounts']} theme-accounts stored; "
                f"{result['corrected']} corrected."
            )
    if check and wrong:
        raise typer.Exit(1)


def add_commands(app: typer.Typer) -> None:
    app.command("themestats")(themestats)
    app.command("themes")(themes)
    app.command("problems")(problems)
    app.command("trends")(trends)
    app.command("classify")(classify)
