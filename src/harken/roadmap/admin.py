from django.contrib import admin

from harken.roadmap.models import Announcement, DelayNotice, Promise, RoadmapItem


@admin.register(RoadmapItem)
class RoadmapItemAdmin(admin.ModelAdmin):
    list_display = ["title", "workspace", "status", "target_date", "public", "deleted_at"]
    list_filter = ["status", "public"]
    search_fields = ["title"]


@admin.register(Promise)
class PromiseAdmin(admin.ModelAdmin):
    list_display = ["item", "account", "contact", "target_date", "status"]
    list_filter = ["status"]


@admin.register(DelayNotice)
class DelayNoticeAdmin(admin.ModelAdmin):
    list_display = ["promise", "reason", "detected_for", "status", "sent_at"]
    list_filter = ["status", "reason"]


@admin.register(Announcement)
class AnnouncementAdmin(admin.ModelAdmin):
    list_display = ["title", "workspace", "published_at", "recipients"]
