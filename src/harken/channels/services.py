"""Channel services. Each channel keeps its logic in its own package (`harken.channels.<name>.services`)."""

from harken.channels.email import services as email

__all__ = ["email"]
