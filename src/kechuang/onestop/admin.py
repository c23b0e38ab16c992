from django.contrib import admin

from .models import Assignment, Office, ServiceRequest, Visit


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    """Service windows and carriers' halls with the categories they handle (what routing reads)."""

    list_display = ("name", "carrier", "order")


@admin.register(ServiceRequest)
class ServiceRequestAdmin(admin.ModelAdmin):
    list_display = ("pk", "enterprise", "category", "status", "office", "submitted_on", "due_on")
    list_filter = ("status", "category", "office")
    raw_id_fields = ("enterprise",)


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ("official", "enterprise", "since", "until")
    raw_id_fields = ("enterprise",)


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin):
    list_display = ("official", "enterprise", "visited_on", "kind")
    raw_id_fields = ("enterprise",)
