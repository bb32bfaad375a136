"""One URL root. Workspace pages live under /w/<ws>/; see harken.core.registry."""

from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from harken.api import api
from harken.core import views as core_views
from harken.core.registry import HARKEN_APPS

urlpatterns: list[URLPattern | URLResolver] = [
    path("", core_views.root, name="root"),
    path("healthz", core_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
]

for _app in HARKEN_APPS:
    if find_spec(f"harken.{_app}.public_urls"):
        _module = import_module(f"harken.{_app}.public_urls")
        urlpatterns.append(path(getattr(_module, "prefix", ""), include(_module)))
    if find_spec(f"harken.{_app}.urls"):
        urlpatterns.append(path("w/<slug:ws>/", include(f"harken.{_app}.urls")))
