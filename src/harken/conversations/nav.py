NAV = [
    ("Listen", "Conversations", "conversations:list"),
    ("Listen", "Cadence", "conversations:cadence"),
]
