NAV = [
    ("Listen", "Overview", "feedback:overview"),
]
