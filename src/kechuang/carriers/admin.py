from django.contrib import admin

from .models import Application, Carrier, Equipment, KpiReport, OffshoreProject, PilotService, Residency, Team


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


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = ("carrier", "enterprise", "team_name", "stage", "status")
    list_filter = ("status", "carrier")
    raw_id_fields = ("enterprise", "team", "residency")


@admin.register(KpiReport)
class KpiReportAdmin(admin.ModelAdmin):
    list_display = ("carrier", "month", "firms_signed", "revenue", "events")
    list_filter = ("carrier",)


@admin.register(Equipment)
class EquipmentAdmin(admin.ModelAdmin):
    list_display = ("name", "carrier", "status")


@admin.register(PilotService)
class PilotServiceAdmin(admin.ModelAdmin):
    list_display = ("carrier", "enterprise", "kind", "started_on")
    raw_id_fields = ("enterprise",)


@admin.register(OffshoreProject)
class OffshoreProjectAdmin(admin.ModelAdmin):
    list_display = ("name", "carrier", "status", "started_on")
    list_filter = ("status", "carrier")
