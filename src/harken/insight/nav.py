NAV = [
    ("Understand", "Top problems", "insight:problems"),
    ("Understand", "Themes", "insight:themes"),
    ("Understand", "Trends", "insight:trends", {"more": True}),
    ("Decide", "Duplicates", "insight:duplicates", {"more": True}),
    ("Decide", "Merges", "insight:merges", {"more": True}),
]
