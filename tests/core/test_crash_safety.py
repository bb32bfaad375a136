"""Issue 15, data safety: SIGKILL the web server and the worker in the middle of a 50,000-row CSV
import, and in the middle of a re-clustering; restart both; the work finishes by itself with 0 rows
lost, 0 rows duplicated, and themes that agree with their assignments.

Real processes (`harken serve`, `harken worker`) on a real database file (SQLite) or PostgreSQL
database, as tests/core/procs.py sets up. The import resumes without anyone pressing "Resume": the
killed worker's task lease expires (3 s here), the task is queued again as attempt 2, and the run
continues after its last committed chunk (harken/imports/runner.py, harken/imports/tasks.py).
"""

from __future__ import annotations

import csv
import http.client
import json
import uuid
from pathlib import Path

import pytest

from tests.core.procs import ProcDB, WorkerProc, wait_for
from tests.core.test_serve import Server

pytestmark = pytest.mark.slow

ROWS = 50_000
LEASE = {"HARKEN_TASK_LEASE_SECONDS": "3", "HARKEN_EMBEDDER": "hashing"}

SEED = """
from harken.accounts.models import User
from harken.workspaces.models import ApiToken, Membership, Role, Workspace, hash_secret
Workspace.objects.filter(slug="crash").delete()
User.objects.filter(email="owner@crash.test").delete()
owner = User.objects.create_user(email="owner@crash.test", password="x")
ws = Workspace.objects.create(name="Crash", slug="crash")
Membership.objects.create(workspace=ws, user=owner, role=Role.OWNER)
ApiToken.objects.create(workspace=ws, name="crash", token_hash=hash_secret(TOKEN), hint=TOKEN[:8], can_write=True,
                        created_by=owner)
print(ws.pk)
"""


def write_csv(path: Path, rows: int) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Ticket ID", "Email", "Feedback"])
        for i in range(rows):
            writer.writerow(
                [f"K-{i}", f"user{i % 97}@crash.test", f"Exports time out on dashboard {i} (region {i % 13})"]
            )
    return path


def upload(server: Server, token: str, path: Path) -> dict[str, object]:
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + path.read_bytes()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
    conn.request(
        "POST",
        "/api/imports/feedback",
        body=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    response = conn.getresponse()
    payload = response.read()
    assert response.status == 202, payload[:500]
    return dict(json.loads(payload))


def seed(proc_db: ProcDB) -> tuple[int, str]:
    token = "crash-" + uuid.uuid4().hex
    out = proc_db.run_python(SEED.replace("TOKEN", repr(token)))
    return int(out.strip().splitlines()[-1]), token


def test_sigkill_server_and_worker_during_a_50k_row_import_loses_and_duplicates_nothing(
    proc_db: ProcDB, tmp_path: Path
) -> None:
    workspace_id, token = seed(proc_db)
    path = write_csv(tmp_path / "big.csv", ROWS)
    env = proc_db.env(**LEASE)
    server = Server([], env)
    worker = WorkerProc(proc_db, "--queues", "default", **LEASE)  # the import; insight jobs wait (not under test)
    restarted: list[object] = []
    try:
        server.wait_until_up()
        job_id = upload(server, token, path)["id"]

        def created() -> int:
            return int(proc_db.scalar("SELECT created FROM imports_importjob WHERE id = %s", (job_id,)) or 0)

        assert wait_for(lambda: created() >= 5_000, attempts=3000), worker.output
        worker.kill()
        server.process.kill()
        server.process.wait(30)
        at_kill = created()
        assert at_kill < ROWS, "the import finished before the kill; nothing was tested"
        server = Server([], env)
        worker = WorkerProc(proc_db, "--queues", "default", **LEASE)
        restarted.append(worker)
        server.wait_until_up()

        def finished() -> object:
            return proc_db.scalar("SELECT status FROM imports_importjob WHERE id = %s", (job_id,)) in ("done", "failed")

        assert wait_for(finished, attempts=6000), worker.output
        status, created_rows, errors = proc_db.rows(
            "SELECT status, created, errors FROM imports_importjob WHERE id = %s", (job_id,)
        )[0]
        assert (status, created_rows, errors) == ("done", ROWS, 0), worker.output
        total, distinct = proc_db.rows(
            "SELECT count(*), count(DISTINCT external_id) FROM feedback_feedback WHERE workspace_id = %s",
            (workspace_id,),
        )[0]
        assert (total, distinct) == (ROWS, ROWS), f"lost {ROWS - distinct}, duplicated {total - distinct}"
        ids = {
            row[0]
            for row in proc_db.rows(
                "SELECT external_id FROM feedback_feedback WHERE workspace_id = %s", (workspace_id,)
            )
        }
        assert ids == {f"K-{i}" for i in range(ROWS)}
        # the run really was interrupted and resumed by the retried task (attempt 2), not started again
        attempts = proc_db.scalar(
            "SELECT worker_ids FROM django_tasks_database_dbtaskresult WHERE task_path = %s",
            ("harken.imports.tasks.run_import",),
        )
        assert len(json.loads(attempts) if isinstance(attempts, str) else attempts) == 2
        # the web process came back and reads the finished job
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        conn.request("GET", f"/api/imports/{job_id}", headers={"Authorization": f"Bearer {token}"})
        summary = json.loads(conn.getresponse().read())
        assert summary["status"] == "done"
    finally:
        worker.stop()
        server.stop()


RECLUSTER_SEED = """
import numpy as np
from django.db import transaction
from harken.accounts.models import User
from harken.feedback.models import Feedback
from harken.insight.embeddings import get_embedder
from harken.insight.models import ItemEmbedding
from harken.insight.themes.models import ThemeRun
from harken.insight.themes.services import run_recluster
from harken.workspaces.models import Workspace

ws = Workspace.objects.get(slug="crash")
topics = ["exports time out", "login fails with SSO", "dark mode please", "billing charged twice",
          "mobile app crashes", "search is slow", "slack integration", "csv import errors"]
with transaction.atomic():
    items = Feedback.objects.bulk_create(
        [Feedback(workspace=ws, text=f"{topics[n % 8]} for customer {n} on plan {n % 5}") for n in range(ITEMS)]
    )
from harken.insight.services import embed_workspace
embed_workspace(ws)
run_recluster(ThemeRun.objects.create(workspace=ws))  # the themes the killed run is replacing
print(ws.pk)
"""


def test_sigkill_worker_during_reclustering_leaves_themes_consistent(proc_db: ProcDB) -> None:
    workspace_id, _ = seed(proc_db)
    proc_db.run_python(RECLUSTER_SEED.replace("ITEMS", "2000"), **LEASE)
    proc_db.run_python(
        "from harken.insight.themes.models import ThemeRun\n"
        "from harken.insight.themes.tasks import recluster_workspace\n"
        "from harken.workspaces.models import Workspace\n"
        "run = ThemeRun.objects.create(workspace=Workspace.objects.get(slug='crash'))\n"
        "recluster_workspace.enqueue(run.pk)\n",
        **LEASE,
    )
    worker = WorkerProc(proc_db, "--queues", "insight", **LEASE)
    try:

        def late_in_the_run() -> bool:  # matching, labelling or saving: the swap is next
            return bool(
                proc_db.scalar(
                    "SELECT count(*) FROM insight_themerun WHERE workspace_id = %s AND status = 'running' "
                    "AND progress >= 0.7",
                    (workspace_id,),
                )
            )

        assert wait_for(late_in_the_run, attempts=6000, pause=0.02), worker.output
        worker.kill()
        worker = WorkerProc(proc_db, "--queues", "insight", **LEASE)

        def done() -> bool:
            statuses = [
                r[0]
                for r in proc_db.rows(
                    "SELECT status FROM insight_themerun WHERE workspace_id = %s ORDER BY id DESC LIMIT 1",
                    (workspace_id,),
                )
            ]
            return statuses == ["done"]

        assert wait_for(done, attempts=6000), worker.output
    finally:
        worker.stop()
    # Every item is in at most one theme (one row per item), every assignment points at an active
    # theme of this workspace, and each theme's size is its number of assigned items.
    assert (
        proc_db.scalar(
            "SELECT count(*) - count(DISTINCT feedback_id) FROM insight_themeassignment WHERE workspace_id = %s",
            (workspace_id,),
        )
        == 0
    )
    assert (
        proc_db.scalar(
            "SELECT count(*) FROM insight_themeassignment a JOIN insight_theme t ON t.id = a.theme_id "
            "WHERE a.workspace_id = %s AND (t.status <> 'active' OR t.workspace_id <> a.workspace_id)",
            (workspace_id,),
        )
        == 0
    )
    mismatched = proc_db.rows(
        "SELECT t.id, t.size, count(a.id) FROM insight_theme t LEFT JOIN insight_themeassignment a ON a.theme_id = t.id "
        "WHERE t.workspace_id = %s AND t.status = 'active' GROUP BY t.id, t.size HAVING t.size <> count(a.id)",
        (workspace_id,),
    )
    assert mismatched == []
    themes = proc_db.scalar(
        "SELECT count(*) FROM insight_theme WHERE workspace_id = %s AND status = 'active'", (workspace_id,)
    )
    assigned = proc_db.scalar(
        "SELECT count(*) FROM insight_themeassignment WHERE workspace_id = %s AND theme_id IS NOT NULL", (workspace_id,)
    )
    assert themes >= 4 and assigned >= 1500, (themes, assigned)
    runs = proc_db.rows("SELECT status FROM insight_themerun WHERE workspace_id = %s ORDER BY id", (workspace_id,))
    assert [r[0] for r in runs] == ["done", "done"]
