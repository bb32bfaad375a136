NAV = [
    ("Listen", "Ideas portal", "portal:ideas"),
]
