"""The public answer pages: /s/<token>/ (a personal invitation) and /s/l/<key>/ (a shareable link)."""

from django.urls import path

from harken.surveys import public_views as views

app_name = "surveys_public"
prefix = "s/"

urlpatterns = [
    path("l/<str:key>/", views.shared, name="shared"),
    path("thanks/", views.thanks, name="thanks"),
    path("<str:token>/", views.answer, name="answer"),
]
