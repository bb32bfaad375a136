"""Insight's periodic jobs (see harken.core.scheduling)."""

from harken.core.scheduling import periodic
from harken.insight.themes.tasks import detect_all_trends

periodic("insight.detect_trends", every="day", at="06:00", task=detect_all_trends)
