from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.core.test_serve import PROJECT, harken_env


@pytest.fixture(scope="session")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file shared by the tests that run real `harken` processes."""
    tmp_path = tmp_path_factory.mktemp("harken")
    run = subprocess.run(
        [sys.executable, "-m", "harken.cli", "migrate"], env=harken_env(tmp_path), cwd=PROJECT, capture_output=True
    )
    assert run.returncode == 0, run.stderr
    return tmp_path


from tests.core.procs import proc_db, proc_db_session  # noqa: E402, F401 - fixtures for real worker processes
from tests.notify.mailbox import mailbox  # noqa: E402, F401 - the aiosmtpd test mailbox
