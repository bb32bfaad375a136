NAV = [
    ("Listen", "Conversations", "conversations:list"),
    ("Measure", "Cadence", "conversations:cadence", {"more": True}),
]
