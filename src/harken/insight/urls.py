from django.urls import path

from harken.insight import views

app_name = "insight"

urlpatterns = [
    path("insight/items/<int:pk>/similar/", views.similar, name="similar"),
    path("insight/items/<int:pk>/merge/", views.merge_item, name="merge_item"),
    path("insight/duplicates/", views.duplicates, name="duplicates"),
    path("insight/duplicates/<int:pk>/merge/", views.merge_suggestion, name="merge_suggestion"),
    path("insight/duplicates/<int:pk>/dismiss/", views.dismiss, name="dismiss"),
    path("insight/merges/", views.merges, name="merges"),
    path("insight/merges/<int:pk>/undo/", views.undo_merge, name="undo_merge"),
]

from harken.insight.themes.urls import urlpatterns as theme_urlpatterns  # noqa: E402  (themes sub-package)

urlpatterns += theme_urlpatterns
