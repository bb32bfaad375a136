NAV = [
    ("Decide", "Prioritisation", "roadmap:priorities"),
    ("Commit", "Roadmap", "roadmap:list"),
    ("Commit", "Promises", "roadmap:promises"),
    ("Commit", "Changelog", "roadmap:changelog", {"more": True}),
    ("Commit", "Sneak previews", "roadmap:previews", {"more": True}),
    (
        "Settings",
        "Roadmap",
        "roadmap:settings",
        {"help": "Statuses, promises, customer updates, the public roadmap, tracker webhooks."},
    ),
]
