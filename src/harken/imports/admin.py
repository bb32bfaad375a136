from django.contrib import admin

from harken.imports.models import ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "workspace",
        "kind",
        "source",
        "status",
        "original_name",
        "created",
        "updated",
        "errors",
        "created_at",
    )
    list_filter = ("kind", "source", "status")
    search_fields = ("original_name",)
    readonly_fields = ("created_at", "updated_at", "started_at", "finished_at")
