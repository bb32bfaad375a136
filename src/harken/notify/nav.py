NAV = [
    ("Workspace", "Outbox", "notify:outbox"),
]
