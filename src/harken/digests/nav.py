NAV = [
    ("Understand", "Weekly digest", "digests:digest"),
    ("Understand", "Monthly review", "digests:review"),
]
