from django.contrib import admin

from harken.feedback.models import Feedback, Tag


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "workspace", "created_at")
    list_filter = ("workspace",)
    search_fields = ("name",)


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ("__str__", "workspace", "channel", "account", "author_email", "received_at")
    list_filter = ("workspace", "channel")
    search_fields = ("title", "text", "author_email", "author_name", "external_id", "dedupe_key")
    date_hierarchy = "received_at"
    raw_id_fields = ("account", "contact", "created_by")
    filter_horizontal = ("tags",)
    readonly_fields = ("raw_payload", "raw_content_type", "dedupe_key", "created_at", "updated_at")
