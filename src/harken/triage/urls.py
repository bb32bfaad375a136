from django.urls import path

from harken.triage import views

app_name = "triage"

urlpatterns = [
    path("triage/", views.inbox, name="inbox"),
    path("triage/metrics/", views.metrics, name="metrics"),
    path("triage/settings/", views.sla_settings, name="settings"),
    path("triage/templates/", views.templates, name="templates"),
    path("triage/templates/<int:pk>/", views.template_edit, name="template_edit"),
    path("triage/templates/<int:pk>/delete/", views.template_delete, name="template_delete"),
    path("triage/<int:pk>/", views.item, name="item"),
    path("triage/<int:pk>/assign/", views.assign, name="assign"),
    path("triage/<int:pk>/decide/", views.decide, name="decide"),
    path("triage/<int:pk>/note/", views.note, name="note"),
    path("triage/<int:pk>/reply/", views.reply, name="reply"),
    path("triage/<int:pk>/replies/<int:reply_pk>/retry/", views.retry_reply, name="retry_reply"),
    path("triage/<int:pk>/draft/", views.draft, name="draft"),
]
