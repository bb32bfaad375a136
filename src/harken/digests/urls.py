from django.urls import path

from harken.digests import views

app_name = "digests"

urlpatterns = [
    path("digest/", views.digest_page, name="digest"),
    path("digest/recipients/", views.recipients, name="recipients"),
    path("digest/recipients/add/", views.recipient_add, name="recipient_add"),
    path("digest/recipients/<int:pk>/delete/", views.recipient_delete, name="recipient_delete"),
    path("digest/settings/", views.digest_settings, name="settings"),
    path("digest/send/", views.send_now, name="send_now"),
    path("review/", views.review_pack, name="review"),
    path("review/export.csv", views.review_csv, name="review_csv"),
    path("review/print/", views.review_print, name="review_print"),
    path("review/signoff/", views.review_signoff, name="review_signoff"),
]
