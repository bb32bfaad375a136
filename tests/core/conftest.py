from __future__ import annotations

from pathlib import Path

import pytest

from tests.core.migrated import sqlite_copy


@pytest.fixture(scope="session")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file shared by the tests that run real `harken` processes."""
    tmp_path = tmp_path_factory.mktemp("harken")
    sqlite_copy(tmp_path_factory, tmp_path / "harken.sqlite3")  # what `harken migrate` makes, migrated once per run
    return tmp_path


from tests.core.procs import proc_db, proc_db_session  # noqa: E402, F401 - fixtures for real worker processes
from tests.notify.mailbox import mailbox  # noqa: E402, F401 - the aiosmtpd test mailbox
