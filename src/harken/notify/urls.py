from django.urls import path

from harken.notify import views

app_name = "notify"

urlpatterns = [
    path("outbox/", views.outbox, name="outbox"),
    path("outbox/<int:pk>/", views.email_detail, name="email"),
    path("outbox/<int:pk>/retry/", views.retry, name="retry"),
]
