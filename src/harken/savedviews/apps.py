from django.apps import AppConfig


class SavedViewsConfig(AppConfig):
    name = "harken.savedviews"
    label = "savedviews"
