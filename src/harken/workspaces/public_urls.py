from django.urls import path

from harken.workspaces import views

app_name = "hub"
prefix = ""

urlpatterns = [
    path("workspaces/", views.home, name="home"),
    path("workspaces/new/", views.create, name="create"),
]
