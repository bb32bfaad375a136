from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "harken.channels"
    label = "channels"
