NAV = [
    ("Listen", "Imports", "imports:list", {"more": True}),
]
