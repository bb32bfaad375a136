from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "harken.core"
    label = "core"

    def ready(self) -> None:
        # Connects the task_finished listener that stamps PeriodicRun.finished_at.
        from harken.core import checks, scheduling  # noqa: F401 - checks registers `check --deploy` checks
