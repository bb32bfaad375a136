"""`harken check` as an operator runs it: a fresh database fails loudly, a migrated one passes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.core.test_serve import PROJECT, harken_env

pytestmark = pytest.mark.slow  # run first: see tests/conftest.py


def check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harken.cli", "check"], env=env, cwd=PROJECT, capture_output=True, text=True
    )


def test_check_fails_loudly_on_a_database_that_needs_migrating(tmp_path: Path) -> None:
    fresh = check(harken_env(tmp_path))
    assert fresh.returncode == 1
    assert "Database reachable" in fresh.stdout
    assert "unapplied migrations" in fresh.stdout


def test_check_passes_on_a_migrated_database(migrated: Path) -> None:
    result = check(harken_env(migrated))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No unapplied migrations" in result.stdout
