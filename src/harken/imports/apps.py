from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "harken.imports"
    label = "imports"
