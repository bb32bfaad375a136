NAV = [
    ("Settings", "General", "workspaces:settings", {"help": "The workspace's name and time zone."}),
    ("Settings", "Members", "workspaces:members", {"help": "Who is in the workspace, their roles, invitations."}),
    ("Settings", "Product lines", "workspaces:product_lines", {"help": "The products feedback is filed under."}),
    ("Settings", "API tokens", "workspaces:tokens", {"help": "Tokens for the REST API and integrations."}),
    ("Settings", "Audit log", "workspaces:audit", {"min_role": "owner", "help": "Who changed what, and when."}),
]
