"""Issue 15, defect 5: on SQLite an import no longer blocks every other write.

A real import runs in its own process on a SQLite file (WAL, IMMEDIATE transactions, as in
production); while it runs, 8 concurrent API creates from another process must all succeed.
Before chunked commits, the import's one transaction held the write lock and they failed.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).with_name("concurrency_script.py")
ROOT = Path(__file__).resolve().parents[2]
ROWS = 10000  # enough for the import to outlast the writers


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}",
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "HARKEN_DEBUG": "1",
        "HARKEN_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'harken.sqlite3'}",
    }


def _script(env: dict[str, str], *args: str) -> dict[str, object]:
    done = subprocess.run([sys.executable, str(SCRIPT), *args], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_eight_api_writes_succeed_while_an_import_runs_on_sqlite(tmp_path: Path) -> None:
    env = _env(tmp_path)
    seeded = _script(env, "setup", str(ROWS))
    writers = subprocess.Popen(  # starts Django first, then waits for the import's first committed chunk
        [sys.executable, str(SCRIPT), "writers", str(seeded["token"])], env=env, stdout=subprocess.PIPE, text=True
    )
    importer = subprocess.Popen(
        [sys.executable, str(SCRIPT), "import", str(seeded["job"])],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        written_out, _ = writers.communicate(timeout=600)
        still_running = importer.poll() is None
        out, err = importer.communicate(timeout=900)
    finally:
        for process in (writers, importer):
            if process.poll() is None:
                process.kill()
    assert writers.returncode == 0
    written = json.loads(written_out.strip().splitlines()[-1])
    db = sqlite3.connect(f"file:{tmp_path / 'harken.sqlite3'}?mode=ro", uri=True)
    assert written["statuses"] == [201] * 8, written
    assert still_running, "the writes must complete while the import is still running, not after it"
    assert written["during"] == [True] * 8, written  # each write landed while the job was running
    result = json.loads(out.strip().splitlines()[-1])
    assert (result["status"], result["created"]) == ("done", ROWS), (result, err[-2000:])
    count = db.execute("select count(*) from feedback_feedback where channel = 'api'").fetchone()[0]
    assert count == 8
