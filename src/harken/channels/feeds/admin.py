from django.contrib import admin

from harken.channels.feeds.models import Feed


@admin.register(Feed)
class FeedAdmin(admin.ModelAdmin):
    list_display = ["__str__", "workspace", "enabled", "consecutive_failures", "last_polled_at", "next_poll_at"]
    list_filter = ["enabled"]
    search_fields = ["url", "name"]
