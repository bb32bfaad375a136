from tests.tenancy import Case

CASES = [
    Case("feedback:overview"),
]
