NAV = [
    ("Understand", "Weekly digest", "digests:digest", {"more": True}),
    ("Measure", "Monthly review", "digests:review", {"more": True}),
]
