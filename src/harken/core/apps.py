from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "harken.core"
    label = "core"

    def ready(self) -> None:
        # Connects the task_finished listener that stamps PeriodicRun.finished_at.
        from harken.core import scheduling  # noqa: F401
