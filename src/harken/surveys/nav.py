NAV = [
    ("Listen", "Surveys", "surveys:list", {"more": True}),
]
