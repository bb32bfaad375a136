from django.urls import path

from harken.workspaces import views

app_name = "workspaces"

# Workspace administration. The workspace's home page (/w/<ws>/) is feedback:overview.
urlpatterns = [
    path("settings/", views.settings_page, name="settings"),
    path("settings/all/", views.settings_hub, name="settings_hub"),
    path("members/", views.members, name="members"),
    path("members/<int:pk>/role/", views.member_role, name="member_role"),
    path("members/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path("members/invite/", views.invite, name="invite"),
    path("members/invitations/<int:pk>/resend/", views.invitation_resend, name="invitation_resend"),
    path("members/invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("product-lines/", views.product_lines, name="product_lines"),
    path("product-lines/new/", views.product_line_create, name="product_line_create"),
    path("product-lines/<int:pk>/", views.product_line_edit, name="product_line_edit"),
    path("product-lines/<int:pk>/delete/", views.product_line_delete, name="product_line_delete"),
    path("api-tokens/", views.tokens, name="tokens"),
    path("api-tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("audit/", views.audit_log, name="audit"),
]
