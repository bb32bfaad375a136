NAV = [
    ("Listen", "Surveys", "surveys:list"),
]
