from django.contrib import admin

from harken.channels.email.models import EmailAttachment, InboundEmail, InboundMailbox
from harken.channels.feeds import admin as _feeds_admin  # noqa: F401  (registers its models)
from harken.channels.webhook import admin as _webhook_admin  # noqa: F401
from harken.channels.widget import admin as _widget_admin  # noqa: F401


@admin.register(InboundEmail)
class InboundEmailAdmin(admin.ModelAdmin):
    list_display = ["subject", "sender_email", "workspace", "status", "via", "created_at"]
    list_filter = ["status", "via"]
    search_fields = ["subject", "sender_email", "message_id"]
    exclude = ["raw"]


admin.site.register(InboundMailbox)
admin.site.register(EmailAttachment)
