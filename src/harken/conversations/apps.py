from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "harken.conversations"
    label = "conversations"
    verbose_name = "Conversations"

    def ready(self) -> None:
        from harken.conversations import roadmap

        roadmap.register()  # conversations as roadmap evidence (reach, ARR, the item page)
