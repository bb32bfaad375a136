NAV = [
    ("Workspace", "Outbox", "notify:outbox", {"min_role": "admin"}),
]
