from django.urls import path

from harken.roadmap import views

app_name = "roadmap"

urlpatterns = [
    path("roadmap/", views.item_list, name="list"),
    path("roadmap/new/", views.new, name="new"),
    path("roadmap/priorities/", views.priorities, name="priorities"),
    path("roadmap/promises/", views.promise_list, name="promises"),
    path("roadmap/promises/check/", views.check_slips, name="check_slips"),
    path("roadmap/promises/<int:pk>/withdraw/", views.promise_withdraw, name="promise_withdraw"),
    path("roadmap/notices/<int:pk>/", views.notice, name="notice"),
    path("roadmap/notices/<int:pk>/dismiss/", views.notice_dismiss, name="notice_dismiss"),
    path("roadmap/settings/", views.settings_page, name="settings"),
    path("roadmap/settings/statuses/", views.status_save, name="status_save"),
    path("roadmap/settings/statuses/delete/", views.status_delete, name="status_delete"),
    path("roadmap/settings/trackers/", views.hook_create, name="hook_create"),
    path("roadmap/previews/", views.previews, name="previews"),
    path("roadmap/previews/<int:pk>/revoke/", views.preview_revoke, name="preview_revoke"),
    path("roadmap/changelog/", views.changelog, name="changelog"),
    path("roadmap/changelog/<int:pk>/publish/", views.publish, name="publish"),
    path("roadmap/subscribers/", views.subscribers, name="subscribers"),
    path("roadmap/link-feedback/<int:feedback_id>/", views.link_feedback, name="link_feedback"),
    path("roadmap/<int:pk>/", views.detail, name="detail"),
    path("roadmap/<int:pk>/edit/", views.edit, name="edit"),
    path("roadmap/<int:pk>/delete/", views.delete, name="delete"),
    path("roadmap/<int:pk>/status/", views.change_status, name="status"),
    path("roadmap/<int:pk>/evidence/", views.link, name="link"),
    path("roadmap/<int:pk>/evidence/<int:evidence_id>/remove/", views.unlink, name="unlink"),
    path("roadmap/<int:pk>/issues/", views.issue_add, name="issue_add"),
    path("roadmap/<int:pk>/issues/<int:link_id>/remove/", views.issue_remove, name="issue_remove"),
    path("roadmap/<int:pk>/promises/", views.promise_new, name="promise_new"),
]
