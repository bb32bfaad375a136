"""The public ideas portal: /p/<portal>/… (see public_views)."""

from django.urls import path

from harken.portal import public_views as views

app_name = "portal_public"
prefix = "p/<slug:portal>/"

urlpatterns = [
    path("", views.board, name="board"),
    path("feed.atom", views.feed, name="feed"),
    path("logo", views.logo, name="logo"),
    path("new/", views.new_idea, name="new"),
    path("similar/", views.similar, name="similar"),
    path("ideas/<int:pk>/", views.idea, name="idea"),
    path("ideas/<int:pk>/vote", views.vote, name="vote"),
    path("ideas/<int:pk>/comment", views.comment, name="comment"),
    path("ideas/<int:pk>/follow", views.follow, name="follow"),
    path("signin/", views.signin, name="signin"),
    path("signin/staff", views.staff_signin, name="staff_signin"),
    path("signin/<str:token>/", views.magic, name="magic"),
    path("signout", views.signout, name="signout"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
