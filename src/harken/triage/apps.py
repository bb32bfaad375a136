from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "harken.triage"
    label = "triage"
