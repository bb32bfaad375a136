from django.urls import path

from harken.advocacy import views

app_name = "advocacy"

urlpatterns = [
    path("advocacy/", views.queue, name="queue"),
    path("advocacy/candidates/", views.candidates, name="candidates"),
    path("advocacy/asks/new", views.ask_create, name="ask_create"),
    path("advocacy/asks/<int:pk>/", views.ask_detail, name="ask_detail"),
    path("advocacy/referrals/", views.referrals, name="referrals"),
    path("advocacy/referrals/new", views.referral_create, name="referral_create"),
    path("advocacy/referrals/<int:pk>/outcome", views.referral_outcome, name="referral_outcome"),
    path("advocacy/rewards/new", views.reward_create, name="reward_create"),
]
