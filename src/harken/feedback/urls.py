from django.urls import path

from harken.feedback import views

app_name = "feedback"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("feedback/", views.inbox, name="inbox"),
    path("feedback/columns/", views.columns, name="columns"),
    path("feedback/bulk/", views.bulk_action, name="bulk"),
    path("feedback/export/", views.export_view, name="export"),
    path("feedback/new/", views.new, name="new"),
    path("feedback/match-sender/", views.match_sender, name="match_sender"),
    path("feedback/<int:pk>/", views.detail, name="detail"),
    path("feedback/<int:pk>/edit/", views.edit, name="edit"),
    path("feedback/<int:pk>/delete/", views.delete, name="delete"),
    path("feedback/<int:pk>/tags/", views.tags, name="tags"),
]
