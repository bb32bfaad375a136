from django.contrib import admin

from harken.channels.widget.models import Widget, WidgetSubmission


@admin.register(Widget)
class WidgetAdmin(admin.ModelAdmin):
    list_display = ["name", "workspace", "public_key", "enabled"]


@admin.register(WidgetSubmission)
class WidgetSubmissionAdmin(admin.ModelAdmin):
    list_display = ["widget", "workspace", "feedback", "origin", "created_at"]
