NAV = [
    ("Listen", "Overview", "workspaces:dashboard"),
]
