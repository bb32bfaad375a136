"""Core's own periodic jobs (see harken.core.scheduling)."""

from harken.core.scheduling import periodic
from harken.core.tasks import prune_job_history

periodic("core.prune_job_history", every="day", at="03:30", task=prune_job_history)
