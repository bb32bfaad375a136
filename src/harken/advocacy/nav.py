NAV = [
    ("Measure", "Advocacy", "advocacy:queue", {"more": True}),
    ("Measure", "Case-study candidates", "advocacy:candidates", {"more": True}),
    ("Measure", "Referrals & rewards", "advocacy:referrals", {"more": True}),
]
