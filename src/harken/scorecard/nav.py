NAV = [
    ("Measure", "Scorecard", "scorecard:scorecard"),
    ("Measure", "PM growth", "scorecard:growth", {"more": True}),
]
