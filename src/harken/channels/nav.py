NAV = [
    ("Listen", "Channels", "channels:overview"),
]
