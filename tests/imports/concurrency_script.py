"""Helper processes for test_concurrent_writes.py (issue 15, defect 5), on a real SQLite file.

    python concurrency_script.py setup ROWS      → migrate, seed, upload a CSV job; prints {"job", "token"}
    python concurrency_script.py import JOB      → run the import in this process
    python concurrency_script.py writers TOKEN   → waits for the import's first committed chunk, then
                                                   8 threads each POST /api/feedback/; prints the statuses

Production database settings (WAL, IMMEDIATE transactions, 20 s busy timeout). A writer blocked
behind a whole-import transaction waits for the import's end (or fails after 20 s); between two
committed chunks it gets its turn while the import goes on.
"""

from __future__ import annotations

import csv
import io
import json
import sys
import threading

import django


def main() -> None:
    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["testserver"]  # the test client's host (no test runner here)
    mode, arg = sys.argv[1], sys.argv[2]
    {"setup": setup, "import": run_import, "writers": writers}[mode](arg)


def setup(rows: str) -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from harken.imports import actions
    from tests.base import World, make_token

    world = World()
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["Ticket ID", "Email", "Feedback"])
    for i in range(int(rows)):
        writer.writerow([f"C-{i}", f"user{i % 50}@load.test", f"Concurrent import row {i}"])
    bob = world.actor(world.bob)
    job = actions.create_job(bob, "feedback", io.BytesIO(text.getvalue().encode()), filename="load.csv")
    actions.set_mapping(bob, job, job.mapping)
    actions.start_import(bob, job)
    print(json.dumps({"job": job.pk, "token": make_token(world.alpha, world.alice)}))


def run_import(job_id: str) -> None:
    import time

    from harken.imports import actions, runner
    from harken.imports.models import ImportJob
    from harken.imports.tasks import _actor

    # Make the import outlast the writers on any machine (imports got fast enough to finish first):
    # a pause before each chunk, outside its transaction. The chunks' own transactions are untouched.
    flush = runner.Run.flush

    def slow_flush(self: runner.Run) -> None:
        time.sleep(0.25)
        flush(self)

    runner.Run.flush = slow_flush  # type: ignore[method-assign]

    job = ImportJob.objects.select_related("workspace").get(pk=int(job_id))
    job = actions.run(_actor(job), job)
    print(json.dumps({"status": job.status, "created": job.created, "failure": job.failure}))


def writers(token: str) -> None:
    import time

    from django.db import connections
    from django.test import Client

    from harken.imports.models import ImportJob

    while not ImportJob.objects.filter(checkpoint__gt=0, status="running").exists():  # ready before the race
        time.sleep(0.05)
    connections.close_all()
    statuses: list[int] = []
    during: list[bool] = []

    def write(n: int) -> None:
        try:
            response = Client().post(
                "/api/feedback/",
                {"text": f"Written during the import, #{n}", "channel": "api"},
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {token}",
            )
            statuses.append(response.status_code)
            during.append(ImportJob.objects.filter(status="running").exists())  # the import still going on
        except Exception as exc:  # a 500 raised through the test client
            statuses.append(500)
            print(repr(exc), file=sys.stderr)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps({"statuses": sorted(statuses), "during": during}))


if __name__ == "__main__":
    main()
