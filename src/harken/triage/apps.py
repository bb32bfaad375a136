from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "harken.triage"
    label = "triage"

    def ready(self) -> None:
        from harken.channels.email.signals import email_followup_received
        from harken.feedback.signals import feedback_created
        from harken.triage import receivers

        feedback_created.connect(receivers.feedback_created, dispatch_uid="triage.open_clock")
        email_followup_received.connect(receivers.email_followup, dispatch_uid="triage.customer_followup")
