from __future__ import annotations

from django.conf import settings
from django.db import models

from harken.core.models import TenantModel
from harken.workspaces.models import Workspace

# Pages that can hold saved views: key → label. A page shows its bar with
# {% include "savedviews/bar.html" with page_key="<key>" %}.
PAGES = {
    "overview": "Overview",
    "inbox": "Inbox",
    "themes": "Themes",
    "problems": "Top problems",
    "trends": "Trends",
}


class SavedView(TenantModel):
    """One person's named query string on one page ("Enterprise, last quarter" on Top problems)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="saved_views")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views")
    page = models.CharField(max_length=40)
    name = models.CharField(max_length=80)
    query = models.CharField(max_length=2000, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user", "page", "name"], name="saved_view_name_per_page")
        ]
        indexes = [models.Index(fields=["workspace", "user", "page"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.page})"
