from django.apps import AppConfig


class AdvocacyConfig(AppConfig):
    name = "harken.advocacy"
    label = "advocacy"
    verbose_name = "Advocacy"
