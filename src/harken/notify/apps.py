from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "harken.notify"
    label = "notify"

    def ready(self) -> None:
        # insight announces emerging themes with a signal (sent after commit); notify turns it into a webhook.
        try:
            from harken.insight.themes.trends import trend_detected
        except ImportError:  # insight not installed
            return
        from harken.notify.webhooks import on_trend_detected

        trend_detected.connect(on_trend_detected, dispatch_uid="notify.webhook_on_trend")
