from django.contrib import admin

from harken.channels.webhook.models import WebhookDelivery, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["name", "workspace", "public_id", "enabled"]
    exclude = ["secret"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["endpoint", "workspace", "status", "delivery_id", "remote_addr", "created_at"]
    list_filter = ["status"]
    exclude = ["body"]
