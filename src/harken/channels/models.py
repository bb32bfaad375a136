"""Channel models. Each channel keeps its models in its own package; they are imported here so
Django registers them under the `channels` app."""

from harken.channels.email.models import EmailAttachment, InboundEmail, InboundMailbox
from harken.channels.feeds.models import Feed, FeedPoll  # noqa: F401  (registered under `channels`)
from harken.channels.webhook.models import WebhookDelivery, WebhookEndpoint  # noqa: F401
from harken.channels.widget.models import Widget, WidgetSubmission  # noqa: F401

__all__ = ["EmailAttachment", "InboundEmail", "InboundMailbox"]
