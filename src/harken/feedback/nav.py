NAV = [
    ("Listen", "Overview", "feedback:overview"),
    ("Listen", "Inbox", "feedback:inbox", {"data-nav-inbox": ""}),
    ("Listen", "New feedback", "feedback:new", {"min_role": "member"}),
]
