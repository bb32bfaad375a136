"""The list of Harken's domain apps, used to assemble URLs, the API and the CLI.

Adding an app here (and to INSTALLED_APPS) is all it takes to mount its `urls.py`
(workspace pages under /w/<slug>/), `public_urls.py` (unauthenticated pages at the root),
`api.py` (`router`) and `cli.py` (`register(app)`).
"""

import functools

HARKEN_APPS = [
    "accounts",
    "workspaces",
    "customers",
    "feedback",
    "imports",
    "triage",
    "channels",
    "notify",
    "insight",
    "roadmap",
    "conversations",
    "digests",
    "portal",
    "surveys",
    "advocacy",
    "scorecard",  # reads every other app; nobody imports it
    "savedviews",  # per-person saved filters of the decision pages
    "demo",  # the demo data set: its CLI and management command (no models, no pages)
]


def collect(module: str, attribute: str) -> list[object]:
    """Concatenate `harken.<app>.<module>.<attribute>` over HARKEN_APPS, in app order.

    E.g. `collect("panels", "ITEM_SIDE_PANELS")`: the item page's side panels every app declares in
    its `panels.py`, so `feedback` names no other app's templates. Apps without the module add none.
    Found once per process (these are module constants; looking for the modules on every request cost
    ~18 `find_spec` calls per page), and returned as a new list each time.
    """
    return list(_collect(module, attribute))


@functools.cache
def _collect(module: str, attribute: str) -> tuple[object, ...]:
    from importlib import import_module
    from importlib.util import find_spec

    found: list[object] = []
    for app in HARKEN_APPS:
        name = f"harken.{app}.{module}"
        if find_spec(name) is None:
            continue
        found += list(getattr(import_module(name), attribute, []))
    return tuple(found)
