from django.urls import path

from harken.portal import views

app_name = "portal"

urlpatterns = [
    path("portal/", views.portals, name="portals"),
    path("portal/<int:pk>/settings", views.portal_edit, name="edit"),
    path("portal/<int:pk>/invite", views.invite, name="invite"),
    path("portal/ideas/", views.ideas, name="ideas"),
    path("portal/ideas/<int:pk>/", views.idea, name="idea"),
    path("portal/ideas/<int:pk>/act", views.idea_act, name="idea_act"),
    path("portal/moderation/", views.moderation, name="moderation"),
    path("portal/comments/<int:pk>/act", views.comment_act, name="comment_act"),
    path("portal/votes/<int:pk>/act", views.vote_act, name="vote_act"),
    path("portal/users/<int:pk>/act", views.user_act, name="user_act"),
    path("portal/merges/<int:pk>/undo", views.undo_merge, name="undo_merge"),
    path("portal/audit/", views.audit, name="audit"),
]
