NAV = [
    ("Understand", "Themes", "insight:themes"),
    ("Understand", "Top problems", "insight:problems"),
    ("Understand", "Trends", "insight:trends"),
    ("Understand", "Duplicates", "insight:duplicates"),
    ("Understand", "Merges", "insight:merges"),
]
