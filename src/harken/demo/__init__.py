"""The "Acme Analytics" demo: realistic customers and feedback for trying Harken out.

`generator` builds the data from the JSON in `data/` without a database (deterministic for a
seed); `loader.load_demo` writes it. Used by `harken demo` (demo/cli.py) and `manage.py load_demo`
(demo/management/commands). The names below load lazily, so the CLI can find `harken.demo.cli`
before Django is set up.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DEMO_PASSWORD", "DEMO_USER_EMAIL", "DEMO_WORKSPACE_NAME", "TEAMMATES", "DemoResult", "load_demo"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from harken.demo import loader

        return getattr(loader, name)
    raise AttributeError(name)
