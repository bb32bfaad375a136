from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "harken.notify"
    label = "notify"
