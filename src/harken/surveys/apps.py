from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "harken.surveys"
    label = "surveys"
    verbose_name = "Surveys"
