from django.contrib import admin

from .models import Chain, Designation, Placement, ProductProfile, RecruitmentTarget, Segment


@admin.register(Chain)
class ChainAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "zone", "order")


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = ("name", "chain", "position", "order")
    list_filter = ("chain", "position")


@admin.register(Placement)
class PlacementAdmin(admin.ModelAdmin):
    list_display = ("enterprise", "segment", "status", "score")
    list_filter = ("status", "segment__chain")
    raw_id_fields = ("enterprise",)


@admin.register(Designation)
class DesignationAdmin(admin.ModelAdmin):
    list_display = ("enterprise", "chain", "role", "designated_on", "ends_on")
    raw_id_fields = ("enterprise",)


@admin.register(RecruitmentTarget)
class RecruitmentTargetAdmin(admin.ModelAdmin):
    list_display = ("company", "chain", "segment", "status", "owner")
    list_filter = ("status", "chain")


@admin.register(ProductProfile)
class ProductProfileAdmin(admin.ModelAdmin):
    list_display = ("enterprise", "source", "updated_at")
    raw_id_fields = ("enterprise",)
