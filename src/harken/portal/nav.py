NAV = [
    ("Listen", "Ideas portal", "portal:ideas", {"more": True}),
]
