from tests.tenancy import Case

CASES = [
    Case("workspaces:dashboard"),
]
