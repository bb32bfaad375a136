from django.urls import path

from harken.imports import views

app_name = "imports"

urlpatterns = [
    path("imports/", views.job_list, name="list"),
    path("imports/new/", views.new_import, name="new"),
    path("imports/<int:pk>/", views.detail, name="detail"),
    path("imports/<int:pk>/mapping/", views.mapping, name="mapping"),
    path("imports/<int:pk>/preview/", views.preview, name="preview"),
    path("imports/<int:pk>/run/", views.run, name="run"),
    path("imports/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("imports/<int:pk>/progress/", views.progress, name="progress"),
    path("imports/<int:pk>/file/", views.download, name="download"),
    path("imports/<int:pk>/errors.csv", views.errors_csv, name="errors_csv"),
]
