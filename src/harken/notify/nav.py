NAV = [
    ("Settings", "Outbox", "notify:outbox", {"min_role": "admin", "help": "Every email Harken sends or tried to."}),
    (
        "Settings",
        "Outgoing webhooks",
        "notify:webhooks",
        {"min_role": "admin", "help": "Events pushed to your other tools."},
    ),
]
