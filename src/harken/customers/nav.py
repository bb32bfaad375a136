NAV = [
    ("Understand", "Accounts", "customers:account_list"),
    ("Understand", "Contacts", "customers:contact_list", {"more": True}),
    ("Understand", "Segments", "customers:segment_list", {"more": True}),
    ("Understand", "Where it hurts", "customers:process_pain", {"more": True}),
]
