from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import Organisation, User


@admin.register(User)
class KechuangUserAdmin(UserAdmin):
    fieldsets = (*UserAdmin.fieldsets, ("角色", {"fields": ("role", "organisation", "enterprise", "display_name")}))
    list_display = ("username", "display_name", "role", "organisation", "enterprise", "is_active")
    list_filter = ("role", "is_active")
    raw_id_fields = ("enterprise",)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "region")
    list_filter = ("kind",)
    search_fields = ("name",)
