from django.urls import path

from harken.scorecard import views

app_name = "scorecard"

urlpatterns = [
    path("scorecard/", views.scorecard, name="scorecard"),
    path("scorecard/chat-exports/", views.chat_import, name="chat_import"),
    path("scorecard/chat-exports/<int:pk>/delete/", views.chat_delete, name="chat_delete"),
    path("scorecard/growth/", views.growth, name="growth"),
    path("scorecard/growth/assess/", views.assess, name="assess"),
]
