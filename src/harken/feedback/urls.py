from django.urls import path

from harken.feedback import views

app_name = "feedback"

urlpatterns = [
    path("", views.overview, name="overview"),
]
