NAV = [
    ("Understand", "Accounts", "customers:account_list", {"order": 60}),
    ("Understand", "Contacts", "customers:contact_list", {"more": True}),
    ("Understand", "Segments", "customers:segment_list", {"more": True}),
    ("Understand", "Where it hurts", "customers:process_pain", {"more": True}),
]
