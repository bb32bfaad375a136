from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "harken.core"
    label = "core"

    def ready(self) -> None:
        # Connects the task_finished listener that stamps PeriodicRun.finished_at.
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate, pre_migrate

        from harken.core import checks, dataversion, scheduling  # noqa: F401 - checks registers `check --deploy` checks

        # Every write of product data bumps the data version that cached responses are keyed by.
        connection_created.connect(dataversion.install, dispatch_uid="harken-data-version")
        pre_migrate.connect(dataversion.pause, dispatch_uid="harken-data-version-pause")
        post_migrate.connect(dataversion.resume, dispatch_uid="harken-data-version-resume")
