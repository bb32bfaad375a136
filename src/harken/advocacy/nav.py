NAV = [
    ("Listen", "Advocacy", "advocacy:queue"),
    ("Listen", "Case-study candidates", "advocacy:candidates"),
    ("Listen", "Referrals & rewards", "advocacy:referrals"),
]
