"""Harken's one way of writing dates (FORMAT_MODULE_PATH): "Nov 30, 2026" and "Nov 30, 2026 15:57".

Django's own English formats ("Nov. 30, 2026, 3:57 p.m.") would otherwise apply wherever a template
prints a date without naming a format. Templates use `|date` (a day), `|date:"DATETIME_FORMAT"`
(a moment) and `|date:"MONTH_DAY_FORMAT"` (a day this year); times are shown in the time zone the
request activated (the member's preference, else the workspace's, else TIME_ZONE).
"""

DATE_FORMAT = "M j, Y"
DATETIME_FORMAT = "M j, Y H:i"
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "M j"
YEAR_MONTH_FORMAT = "F Y"
SHORT_DATE_FORMAT = "M j, Y"
SHORT_DATETIME_FORMAT = "M j, Y H:i"
