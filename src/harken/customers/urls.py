from django.urls import path

from harken.customers import understanding_views as uv
from harken.customers import views

app_name = "customers"

urlpatterns = [
    path("accounts/", views.account_list, name="account_list"),
    path("accounts/new/", views.account_create, name="account_create"),
    path("accounts/<int:pk>/", views.account_detail, name="account_detail"),
    path("accounts/<int:pk>/edit/", views.account_edit, name="account_edit"),
    path("accounts/<int:pk>/delete/", views.account_delete, name="account_delete"),
    path("accounts/value-settings/", views.value_settings, name="value_settings"),
    path("contacts/", views.contact_list, name="contact_list"),
    path("contacts/new/", views.contact_create, name="contact_create"),
    path("contacts/<int:pk>/", views.contact_detail, name="contact_detail"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="contact_edit"),
    path("contacts/<int:pk>/delete/", views.contact_delete, name="contact_delete"),
    path("segments/", views.segment_list, name="segment_list"),
    path("segments/new/", views.segment_create, name="segment_create"),
    path("segments/<int:pk>/edit/", views.segment_edit, name="segment_edit"),
    path("segments/<int:pk>/delete/", views.segment_delete, name="segment_delete"),
    # customer understanding (customers/understanding.py)
    path("accounts/<int:pk>/goals/", uv.goal_add, name="goal_add"),
    path("goals/<int:pk>/edit/", uv.goal_edit, name="goal_edit"),
    path("goals/<int:pk>/delete/", uv.goal_delete, name="goal_delete"),
    path("accounts/<int:pk>/jobs/", uv.job_add, name="job_add"),
    path("jobs/<int:pk>/edit/", uv.job_edit, name="job_edit"),
    path("jobs/<int:pk>/delete/", uv.job_delete, name="job_delete"),
    path("accounts/<int:pk>/steps/", uv.step_add, name="step_add"),
    path("steps/<int:pk>/edit/", uv.step_edit, name="step_edit"),
    path("steps/<int:pk>/move/", uv.step_move, name="step_move"),
    path("steps/<int:pk>/delete/", uv.step_delete, name="step_delete"),
    path("steps/<int:pk>/pains/", uv.pain_add, name="pain_add"),
    path("pains/<int:pk>/delete/", uv.pain_delete, name="pain_delete"),
    path("process-pain/", uv.process_pain, name="process_pain"),
]
