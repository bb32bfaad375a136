from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "harken.conversations"
    label = "conversations"
    verbose_name = "Conversations"
