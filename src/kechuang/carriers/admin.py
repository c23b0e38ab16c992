from django.contrib import admin

from .models import Carrier, Residency, Team


@admin.register(Carrier)
class CarrierAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "operator", "region")
    list_filter = ("kind",)
    search_fields = ("name",)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "institution", "leader", "enterprise")
    search_fields = ("name", "leader")
    raw_id_fields = ("enterprise",)


@admin.register(Residency)
class ResidencyAdmin(admin.ModelAdmin):
    list_display = ("carrier", "enterprise", "team", "start", "end")
    list_filter = ("carrier",)
    raw_id_fields = ("enterprise", "team")
