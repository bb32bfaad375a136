from django.urls import path

app_name = "workspaces"

# Workspace settings pages (members, product lines, invitations, API tokens) live here.
# The workspace's home page (/w/<ws>/) is feedback:overview.
urlpatterns: list = []
