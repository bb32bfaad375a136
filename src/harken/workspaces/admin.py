from __future__ import annotations

from django.contrib import admin

from harken.workspaces.models import ApiToken, Invitation, Membership, ProductLine, Workspace


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


class ProductLineInline(admin.TabularInline):
    model = ProductLine
    extra = 0
    fields = ["name", "slug", "description"]


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "timezone", "created_at"]
    search_fields = ["name", "slug"]
    readonly_fields = ["created_at"]
    inlines = [MembershipInline, ProductLineInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "workspace", "role", "created_at"]
    list_filter = ["role", "workspace"]
    search_fields = ["user__email", "workspace__name"]
    autocomplete_fields = ["user", "workspace"]


@admin.register(ProductLine)
class ProductLineAdmin(admin.ModelAdmin):
    list_display = ["name", "workspace", "slug"]
    list_filter = ["workspace"]
    search_fields = ["name"]
    filter_horizontal = ["managers"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Token hashes are not editable: a new link is made by resending from the Members page."""

    list_display = ["email", "workspace", "role", "created_at", "expires_at", "accepted_at", "revoked_at"]
    list_filter = ["role", "workspace"]
    search_fields = ["email"]
    readonly_fields = ["token_hash", "invited_by", "created_at", "accepted_at"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "workspace", "hint", "can_write", "created_by", "last_used_at", "revoked_at"]
    list_filter = ["can_write", "workspace"]
    search_fields = ["name", "hint"]
    readonly_fields = ["token_hash", "hint", "created_by", "created_at", "last_used_at"]
