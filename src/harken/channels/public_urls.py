"""Unauthenticated endpoints of channels: each is protected by its own secret (token in the URL)."""

from django.urls import path

from harken.channels import views
from harken.channels.webhook import views as webhook
from harken.channels.widget import views as widget

app_name = "channels_public"
prefix = ""  # each path names its own root: /inbound/…, /hooks/…, /widget/…

urlpatterns = [
    path("inbound/email/<str:token>/", views.inbound_http, name="email"),
    path("hooks/<str:endpoint_id>/", webhook.receive, name="webhook"),
    path("widget/<str:key>.js", widget.widget_js, name="widget_js"),
    path("widget/<str:key>/submit", widget.widget_submit, name="widget_submit"),
]
