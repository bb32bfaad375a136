from django.urls import path

from harken.surveys import views

app_name = "surveys"

urlpatterns = [
    path("surveys/", views.survey_list, name="list"),
    path("surveys/new/", views.survey_create, name="create"),
    path("surveys/settings/", views.survey_settings, name="settings"),
    path("surveys/<int:pk>/", views.survey_detail, name="detail"),
    path("surveys/<int:pk>/send", views.survey_send, name="send"),
    path("surveys/<int:pk>/close", views.survey_close, name="close"),
]
