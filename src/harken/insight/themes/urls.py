"""Theme pages; appended to harken.insight.urls (namespace "insight")."""

from django.urls import path

from harken.insight.themes import views

urlpatterns = [
    path("insight/themes/", views.theme_list, name="themes"),
    path("insight/themes/recluster/", views.recluster, name="themes_recluster"),
    path("insight/themes/runs/<int:pk>/", views.run_detail, name="themes_run"),
    path("insight/themes/<int:pk>/", views.theme_detail, name="theme"),
    path("insight/themes/<int:pk>/rename/", views.rename, name="theme_rename"),
    path("insight/themes/<int:pk>/pin/", views.pin, name="theme_pin"),
    path("insight/themes/<int:pk>/merge/", views.merge, name="theme_merge"),
    path("insight/themes/<int:pk>/split/", views.split, name="theme_split"),
    path("insight/items/<int:pk>/theme/", views.move, name="theme_move"),
    path("insight/items/<int:pk>/classification/", views.correct, name="classification"),
    path("insight/items/<int:pk>/understanding/", views.item_understanding, name="item_understanding"),
    path("insight/problems/", views.problems, name="problems"),
    path("insight/trends/", views.trends, name="trends"),
]
