from django.apps import AppConfig


class InsightConfig(AppConfig):
    name = "harken.insight"
    label = "insight"
