"""The list of Harken's domain apps, used to assemble URLs, the API and the CLI.

Adding an app here (and to INSTALLED_APPS) is all it takes to mount its `urls.py`
(workspace pages under /w/<slug>/), `public_urls.py` (unauthenticated pages at the root),
`api.py` (`router`) and `cli.py` (`register(app)`).
"""

HARKEN_APPS = [
    "accounts",
    "workspaces",
    "customers",
    "feedback",
    "imports",
    "triage",
    "channels",
    "notify",
    "insight",
    "portal",
]
