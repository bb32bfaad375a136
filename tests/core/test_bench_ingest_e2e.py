"""The non-timing logic of bench/ingest_e2e.py: CPU time from /proc, the process tree, the steady interval."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "ingest_e2e.py"


@pytest.fixture(scope="module")
def e2e():
    spec = importlib.util.spec_from_file_location("bench_ingest_e2e", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


def test_parse_stat_counts_fields_after_a_command_name_with_parentheses(e2e):
    # pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime …
    fields = ["S", "4242", "1", "1", "0", "-1", "0", "10", "0", "0", "0", "250", "150", "7", "9"]
    text = "1234 (python (worker) x) " + " ".join(fields) + "\n"
    ppid, cpu = e2e.parse_stat(text)
    assert ppid == 4242
    assert cpu == pytest.approx((250 + 150) / e2e.CLOCK_TICKS)  # children's cutime/cstime (7, 9) excluded


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_descendants_find_a_child_and_its_child(e2e):
    code = "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); time.sleep(60)"
    child = subprocess.Popen([sys.executable, "-c", code])
    try:
        found: list[int] = []
        grandchildren: list[int] = []
        for _ in range(200):  # until the grandchild exists (no timing asserted)
            # (this process may have other children, e.g. a browser: wait for the child's own child)
            grandchildren = e2e.descendants(child.pid)
            if grandchildren:
                break
            subprocess.run([sys.executable, "-c", "pass"], check=True)
        found = e2e.descendants(os.getpid())
        assert child.pid in found
        assert len(grandchildren) == 1 and grandchildren[0] in found
        own = e2e.parse_stat(Path(f"/proc/{os.getpid()}/stat").read_text())[1]
        assert e2e.tree_cpu_seconds(os.getpid()) >= own
    finally:
        for pid in e2e.descendants(child.pid):
            os.kill(pid, 9)
        child.kill()
        child.wait()


def test_items_in_interval_prorates_jobs_that_straddle_a_bound(e2e):
    Job = e2e.Job
    jobs = [
        Job(items=100, started=0.0, finished=10.0, worker="a"),  # half inside [5, 20]
        Job(items=40, started=10.0, finished=20.0, worker="a"),  # wholly inside
        Job(items=30, started=0.0, finished=4.0, worker="b"),  # before the interval
        Job(items=8, started=12.0, finished=12.0, worker="b"),  # instantaneous, inside
    ]
    assert e2e.items_in_interval(jobs, 5.0, 20.0) == pytest.approx(50 + 40 + 8)
    assert e2e.items_in_interval(jobs, 0.0, 20.0) == pytest.approx(178)


def test_warm_up_ends_when_every_worker_finished_its_first_job(e2e):
    Job = e2e.Job
    jobs = [
        Job(items=20, started=1.0, finished=3.0, worker="a"),
        Job(items=50, started=3.0, finished=6.0, worker="a"),
        Job(items=50, started=2.0, finished=5.0, worker="b"),
        Job(items=50, started=5.0, finished=9.0, worker="b"),
    ]
    assert e2e.warm_up_end(jobs) == 5.0


def test_interpolate_between_samples_and_clamped_outside(e2e):
    samples = [(0.0, 0.0), (2.0, 4.0), (4.0, 5.0)]
    assert e2e.interpolate(samples, 1.0) == pytest.approx(2.0)
    assert e2e.interpolate(samples, 3.0) == pytest.approx(4.5)
    assert e2e.interpolate(samples, -1.0) == 0.0
    assert e2e.interpolate(samples, 9.0) == 5.0
