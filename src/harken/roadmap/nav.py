NAV = [
    ("Decide", "Roadmap", "roadmap:list"),
    ("Decide", "Prioritisation", "roadmap:priorities"),
    ("Decide", "Promises", "roadmap:promises"),
    ("Decide", "Changelog", "roadmap:changelog"),
    ("Decide", "Sneak previews", "roadmap:previews"),
    ("Workspace", "Roadmap settings", "roadmap:settings"),
]
