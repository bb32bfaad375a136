from django.urls import path

from harken.savedviews import views

app_name = "savedviews"

urlpatterns = [
    path("views/", views.create, name="create"),
    path("views/<int:pk>/delete/", views.delete, name="delete"),
]
