NAV = [
    ("Workspace", "Outbox", "notify:outbox"),
    ("Workspace", "Outgoing webhooks", "notify:webhooks"),
]
