NAV = [
    ("Listen", "Imports", "imports:list"),
]
