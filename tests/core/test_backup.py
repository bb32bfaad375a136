"""`harken backup` / `harken restore`: a real round trip (database and uploads) on the suite's database
kind (SQLite, or PostgreSQL when DATABASE_URL points at it)."""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from tests.core.procs import ProcDB
from tests.core.test_serve import PROJECT

pytestmark = pytest.mark.slow  # run first: see tests/conftest.py

SEED = """
from tests.base import World
from harken.feedback.actions import create_feedback
w = World()
for n in range(25):
    create_feedback(w.actor(w.alice), text=f"Export to Excel please #{n}", author_email=f"c{n}@client.test", tags="export")
create_feedback(w.actor(w.charlie), text="Bravo's own item")
"""

COUNTS = """
from harken.feedback.models import Feedback, Tag
from harken.workspaces.models import Workspace
from harken.accounts.models import User
print(Workspace.objects.count(), User.objects.count(), Feedback.objects.count(), Tag.objects.count())
"""


def harken(db: ProcDB, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harken.cli", *args], env=db.env(), cwd=PROJECT, capture_output=True, text=True
    )


def _wipe_domain(db: ProcDB) -> None:
    db.run_python(
        "from harken.workspaces.models import Workspace; from harken.accounts.models import User\n"
        "Workspace.objects.all().delete(); User.objects.all().delete()"
    )


def test_backup_and_restore_round_trip_database_and_uploads(proc_db: ProcDB, tmp_path: Path) -> None:
    _wipe_domain(proc_db)
    proc_db.run_python(SEED)
    before = proc_db.run_python(COUNTS).split()
    assert before == ["2", "4", "26", "1"]
    upload = proc_db.tmp_path / "data" / "media" / "imports" / "2026" / "customers.csv"
    upload.parent.mkdir(parents=True, exist_ok=True)
    upload.write_text("email,text\na@b.test,hello\n")

    archive = tmp_path / "nightly.tar.gz"
    made = harken(proc_db, "backup", "--output", str(archive))
    assert made.returncode == 0, made.stdout + made.stderr
    assert "Backup written" in made.stdout
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert "manifest.json" in names
    assert "media/imports/2026/customers.csv" in names
    assert ("database.pgdump" if proc_db.vendor == "postgresql" else "database.sqlite3") in names

    # Disaster: the data is deleted and the upload is gone; something new was written since.
    _wipe_domain(proc_db)
    proc_db.run_python("from tests.base import make_user; make_user('after-backup@procs.test')")
    upload.unlink()
    assert proc_db.run_python(COUNTS).split() == ["0", "1", "0", "0"]

    refused = harken(proc_db, "restore", str(archive))
    assert refused.returncode != 0, "restore asks before replacing everything"

    restored = harken(proc_db, "restore", str(archive), "--yes")
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert proc_db.run_python(COUNTS).split() == before
    assert upload.read_text() == "email,text\na@b.test,hello\n"
    assert not proc_db.scalar("SELECT count(*) FROM accounts_user WHERE email = %s", ("after-backup@procs.test",))
    assert harken(proc_db, "check").returncode == 0
    _wipe_domain(proc_db)


def test_restore_refuses_a_file_that_is_not_a_backup(proc_db: ProcDB, tmp_path: Path) -> None:
    bogus = tmp_path / "not-a-backup.tar.gz"
    bogus.write_bytes(b"hello")
    result = harken(proc_db, "restore", str(bogus), "--yes")
    assert result.returncode == 1
    assert "is not a Harken backup" in result.stdout
