from django.apps import AppConfig


class RoadmapConfig(AppConfig):
    name = "harken.roadmap"
    label = "roadmap"
    verbose_name = "Roadmap"
