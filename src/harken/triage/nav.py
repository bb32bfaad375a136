NAV = [
    ("Listen", "Triage", "triage:inbox"),
    ("Listen", "Inbound email", "channels:email_log"),
    ("Decide", "Response times", "triage:metrics"),
    ("Workspace", "Reply templates", "triage:templates"),
    ("Workspace", "Response SLA", "triage:settings"),
]
