NAV = [
    ("Workspace", "Outbox", "notify:outbox", {"min_role": "admin"}),
    ("Workspace", "Outgoing webhooks", "notify:webhooks", {"min_role": "admin"}),
]
