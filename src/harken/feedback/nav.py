# (section, label, url name[, attrs]): sections follow the PM's loop, see core/templatetags/harken.py.
# "more": listed under the section's "More" fold; "help": the line shown on the Settings page.
NAV = [
    ("Listen", "Inbox", "feedback:inbox", {"data-nav-inbox": "", "order": 10}),
    ("Listen", "New feedback", "feedback:new", {"min_role": "member", "more": True}),
    ("Understand", "Overview", "feedback:overview", {"order": 10}),
]
