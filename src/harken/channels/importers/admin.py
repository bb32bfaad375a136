from django.contrib import admin

from harken.channels.importers.models import ChannelImport


@admin.register(ChannelImport)
class ChannelImportAdmin(admin.ModelAdmin):
    list_display = ["original_name", "source", "workspace", "status", "total", "created", "errors", "created_at"]
    list_filter = ["source", "status"]
