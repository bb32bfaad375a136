from django.apps import AppConfig


class WorkspacesConfig(AppConfig):
    name = "harken.workspaces"
    label = "workspaces"
