from django.urls import path

from harken.roadmap import public_views as views

app_name = "roadmap_public"
prefix = "roadmap/"

urlpatterns = [
    path("preview/<str:token>/", views.preview, name="preview"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("hooks/<str:public_id>/", views.tracker_hook, name="tracker_hook"),
    path("<slug:ws>/", views.roadmap, name="roadmap"),
    path("<slug:ws>/lines/<slug:line>/", views.roadmap, name="roadmap_line"),
    path("<slug:ws>/changelog/", views.changelog, name="changelog"),
    path("<slug:ws>/changelog/feed.atom", views.feed, name="feed"),
    path("<slug:ws>/changelog/subscribe/", views.subscribe, name="subscribe"),
]
