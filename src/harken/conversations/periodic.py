"""Conversations' periodic jobs (see harken.core.scheduling).

Hourly, because "Monday 08:00" is a different hour for each PM's time zone; the reminder itself
is sent once per PM and week (CadenceReminder).
"""

from harken.conversations.tasks import send_cadence_reminders
from harken.core.scheduling import periodic

periodic("conversations.send_cadence_reminders", every="hour", at=":10", task=send_cadence_reminders)
