"""Surveys' periodic jobs (see harken.core.scheduling)."""

from harken.core.scheduling import periodic
from harken.surveys.tasks import send_survey_reminders

periodic("surveys.send_reminders", every="day", at="10:00", task=send_survey_reminders)
