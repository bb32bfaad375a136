from django.apps import AppConfig


class ScorecardConfig(AppConfig):
    name = "harken.scorecard"
    label = "scorecard"
