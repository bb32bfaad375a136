NAV = [
    ("Customers", "Accounts", "customers:account_list"),
    ("Customers", "Contacts", "customers:contact_list"),
    ("Customers", "Segments", "customers:segment_list"),
    ("Understand", "Where it hurts", "customers:process_pain"),
]
