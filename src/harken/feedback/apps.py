from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "harken.feedback"
    label = "feedback"
