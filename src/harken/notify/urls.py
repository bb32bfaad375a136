from django.urls import path

from harken.notify import views, webhook_views

app_name = "notify"

urlpatterns = [
    path("outbox/", views.outbox, name="outbox"),
    path("outbox/<int:pk>/", views.email_detail, name="email"),
    path("outbox/<int:pk>/retry/", views.retry, name="retry"),
    path("webhooks/outgoing/", webhook_views.webhook_list, name="webhooks"),
    path("webhooks/outgoing/<int:pk>/", webhook_views.webhook_detail, name="webhook"),
    path("webhooks/outgoing/<int:pk>/test/", webhook_views.webhook_test, name="webhook_test"),
    path("webhooks/outgoing/<int:pk>/rotate/", webhook_views.webhook_rotate, name="webhook_rotate"),
    path("webhooks/outgoing/<int:pk>/delete/", webhook_views.webhook_delete, name="webhook_delete"),
    path("webhooks/deliveries/<int:pk>/retry/", webhook_views.delivery_retry, name="delivery_retry"),
]
