from django.urls import path

from harken.conversations import views

app_name = "conversations"

urlpatterns = [
    path("conversations/", views.conversation_list, name="list"),
    path("conversations/new/", views.conversation_create, name="create"),
    path("conversations/<int:pk>/", views.conversation_detail, name="detail"),
    path("conversations/<int:pk>/edit/", views.conversation_edit, name="edit"),
    path("conversations/<int:pk>/delete/", views.conversation_delete, name="delete"),
    path("conversations/<int:pk>/roadmap/", views.roadmap_link, name="roadmap_link"),
    path("conversations/<int:pk>/highlights/", views.highlight_add, name="highlight_add"),
    path("conversations/highlights/<int:pk>/delete/", views.highlight_delete, name="highlight_delete"),
    path("conversations/import/", views.import_ics, name="import_ics"),
    path("conversations/import/<int:pk>/", views.import_detail, name="import_detail"),
    path("cadence/", views.cadence_dashboard, name="cadence"),
    path("cadence/settings/", views.cadence_settings, name="cadence_settings"),
    path("cadence/time-zone/", views.my_time_zone, name="my_time_zone"),
]
