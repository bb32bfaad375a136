from django.contrib import admin

from harken.customers.models import Account, Contact, Segment


class ContactInline(admin.TabularInline):
    model = Contact
    fields = ["name", "email", "title", "external_id"]
    extra = 0
    show_change_link = True


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["name", "domain", "workspace", "plan", "segment", "lifecycle_stage", "arr", "renewal_date", "owner"]
    list_filter = ["workspace", "lifecycle_stage", "plan", "segment"]
    search_fields = ["name", "domain", "external_id"]
    raw_id_fields = ["owner"]
    inlines = [ContactInline]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["__str__", "email", "account", "workspace", "title"]
    list_filter = ["workspace"]
    search_fields = ["name", "email", "external_id", "account__name"]
    raw_id_fields = ["account"]


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = ["name", "workspace", "weight", "filters"]
    list_filter = ["workspace"]
    search_fields = ["name"]
