from django.contrib import admin

from harken.core import scheduling  # noqa: F401 - connects the task_finished handler in every process
from harken.core.models import PeriodicRun


@admin.register(PeriodicRun)
class PeriodicRunAdmin(admin.ModelAdmin):
    list_display = ["job", "slot", "started_at", "finished_at", "task_result_id"]
    list_filter = ["job"]
    search_fields = ["job", "task_result_id"]
    date_hierarchy = "slot"
    ordering = ["-slot"]
