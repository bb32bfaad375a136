"""Ports: `harken serve` on a busy port says so in one line; `harken demo` and `make demo` follow PORT."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harken.cli import app
from harken.demo.cli import served_url
from tests.core.test_serve import PROJECT, harken_env

pytestmark = pytest.mark.slow  # run first: see tests/conftest.py


def test_serve_on_a_busy_port_prints_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "harken.cli", "serve", "--port", str(port)],
            env=harken_env(tmp_path),
            cwd=PROJECT,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode != 0
    output = done.stdout + done.stderr
    assert "Traceback" not in output, output
    assert f"Port {port} on 127.0.0.1 is already in use" in done.stderr
    problem = [line for line in done.stderr.splitlines() if "already in use" in line]
    assert len(problem) == 1 and "--port" in problem[0]
    assert len(done.stderr.strip().splitlines()) <= 2, done.stderr  # at most a migrations warning besides


def test_serve_port_comes_from_the_environment(tmp_path: Path) -> None:
    """$PORT is honoured like --port (platforms and `make serve PORT=…` set it)."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "harken.cli", "serve"],
            env=harken_env(tmp_path, PORT=str(port)),
            cwd=PROJECT,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode != 0 and f"Port {port} " in done.stderr


@pytest.mark.django_db
def test_harken_demo_prints_the_port_it_will_be_served_on() -> None:
    output = CliRunner().invoke(app, ["demo", "--items", "10", "--port", "8123"], env={"COLUMNS": "200"})
    assert output.exit_code == 0, output.output
    assert "http://127.0.0.1:8123" in output.output and ":8000" not in output.output
    again = CliRunner().invoke(app, ["demo", "--items", "10"], env={"COLUMNS": "200", "PORT": "8456"})
    assert "http://127.0.0.1:8456" in again.output


def test_served_url() -> None:
    assert served_url("127.0.0.1", 8100) == "http://127.0.0.1:8100"
    assert served_url("0.0.0.0", 8100) == "http://127.0.0.1:8100"
    assert served_url("::1", 8100) == "http://[::1]:8100"


@pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")
def test_make_demo_honours_port() -> None:
    plan = subprocess.run(
        ["make", "-n", "demo", "PORT=8100"], cwd=PROJECT, capture_output=True, text=True, timeout=60, check=True
    ).stdout
    demo_lines = [line for line in plan.splitlines() if "harken demo" in line or "harken serve" in line]
    assert len(demo_lines) == 2 and all("--port 8100" in line for line in demo_lines), plan
    assert "8000" not in "\n".join(demo_lines)
