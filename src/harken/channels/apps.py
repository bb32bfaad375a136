from typing import Any

from django.apps import AppConfig


def _workspace_created(sender: Any, workspace: Any, **kwargs: Any) -> None:
    """A new workspace gets its inbound mailbox (address + HTTP endpoint secret) when it is created,
    so the settings page only reads (`workspaces` must not know channels: hence a signal)."""
    from harken.channels.email.services import get_mailbox

    get_mailbox(workspace)


class ChannelsConfig(AppConfig):
    name = "harken.channels"
    label = "channels"

    def ready(self) -> None:
        from harken.workspaces.signals import workspace_created

        workspace_created.connect(_workspace_created, dispatch_uid="channels.inbound_mailbox")
