from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "harken.triage"
    label = "triage"

    def ready(self) -> None:
        from harken.channels.email.signals import email_followup_received
        from harken.triage import receivers
        from harken.workspaces.signals import workspace_created

        workspace_created.connect(receivers.workspace_created, dispatch_uid="triage.default_settings")
        email_followup_received.connect(receivers.email_followup, dispatch_uid="triage.customer_followup")
