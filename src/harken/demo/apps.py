from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data set: `harken demo` (demo/cli.py) and `manage.py load_demo`. No models."""

    name = "harken.demo"
    label = "demo"
