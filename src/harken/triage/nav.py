NAV = [
    ("Decide", "Triage", "triage:inbox"),
    ("Listen", "Inbound email", "channels:email_log", {"more": True}),
    ("Measure", "Response times", "triage:metrics"),
    ("Settings", "Reply templates", "triage:templates", {"help": "Canned replies your team sends from an item."}),
    (
        "Settings",
        "Response SLA",
        "triage:settings",
        {"help": "The first-response target the response-time charts measure against."},
    ),
]
