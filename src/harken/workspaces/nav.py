NAV = [
    ("Workspace", "Settings", "workspaces:settings"),
    ("Workspace", "Members", "workspaces:members"),
    ("Workspace", "Product lines", "workspaces:product_lines"),
    ("Workspace", "API tokens", "workspaces:tokens"),
]
