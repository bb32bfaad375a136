from django.urls import path

from harken.channels import overview as importers
from harken.channels import views
from harken.channels.feeds import views as feeds
from harken.channels.webhook import views as webhook
from harken.channels.widget import views as widget

app_name = "channels"

urlpatterns = [
    path("channels/email/", views.email_log, name="email_log"),
    path("channels/email/settings/", views.email_settings, name="email_settings"),
    path("channels/email/<int:pk>/", views.email_message, name="email_message"),
    path("channels/email/<int:pk>/raw/", views.email_raw, name="email_raw"),
    path("channels/email/attachments/<int:pk>/", views.email_attachment, name="email_attachment"),
    # overview (export uploads are imports: harken.imports), feeds, webhooks, widget
    path("channels/", importers.overview, name="overview"),
    path("channels/import/", importers.import_new, name="import_new"),
    path("channels/imports/<int:pk>/", importers.import_detail, name="import_detail"),
    path("channels/feeds/", feeds.feed_list, name="feeds"),
    path("channels/feeds/<int:pk>/", feeds.feed_detail, name="feed_detail"),
    path("channels/feeds/<int:pk>/delete/", feeds.feed_delete, name="feed_delete"),
    path("channels/feeds/<int:pk>/poll/", feeds.feed_poll, name="feed_poll"),
    path("channels/webhooks/", webhook.webhook_list, name="webhooks"),
    path("channels/webhooks/<int:pk>/", webhook.webhook_detail, name="webhook_detail"),
    path("channels/webhooks/<int:pk>/rotate/", webhook.webhook_rotate, name="webhook_rotate"),
    path("channels/webhooks/<int:pk>/delete/", webhook.webhook_delete, name="webhook_delete"),
    path("channels/webhooks/deliveries/<int:pk>/", webhook.webhook_delivery, name="webhook_delivery"),
    path("channels/widgets/", widget.widget_list, name="widgets"),
    path("channels/widgets/<int:pk>/", widget.widget_detail, name="widget_detail"),
    path("channels/widgets/<int:pk>/delete/", widget.widget_delete, name="widget_delete"),
    path("channels/widgets/screenshots/<int:pk>/", widget.widget_screenshot, name="widget_screenshot"),
]
