"""The "Acme Analytics" demo: realistic customers and feedback for trying Harken out.

`generator` builds the data from the JSON in `data/` without a database (deterministic for a
seed); `loader.load_demo` writes it. Used by `harken demo` and `manage.py load_demo`.
"""

from harken.demo.loader import (
    DEMO_PASSWORD,
    DEMO_USER_EMAIL,
    DEMO_WORKSPACE_NAME,
    TEAMMATES,
    DemoResult,
    load_demo,
)

__all__ = ["DEMO_PASSWORD", "DEMO_USER_EMAIL", "DEMO_WORKSPACE_NAME", "TEAMMATES", "DemoResult", "load_demo"]
