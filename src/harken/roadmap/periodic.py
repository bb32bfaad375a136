"""Roadmap's periodic jobs (see harken.core.scheduling)."""

from harken.core.scheduling import periodic
from harken.roadmap.tasks import detect_all_slips

periodic("roadmap.detect_slips", every="day", at="07:00", task=detect_all_slips)
