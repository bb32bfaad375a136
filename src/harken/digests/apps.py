from django.apps import AppConfig


class DigestsConfig(AppConfig):
    name = "harken.digests"
    label = "digests"
    verbose_name = "Digests and review packs"
