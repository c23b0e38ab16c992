"""The admin site's account pages (the site is off unless KECHUANG_ADMIN=1; see core/admin_site.py).

Role and scope changes made here are audited old → new like those made on the user management page, and
every other change the admin site saves is audited through its own change log (`audit_admin_change`).
"""

from django.contrib import admin
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.auth.admin import UserAdmin
from django.db.models.signals import post_save
from django.dispatch import receiver

from kechuang.core import audit

from .models import ApiToken, Organisation, User
from .services import SECURITY_FIELDS, _security_state


@admin.register(User)
class KechuangUserAdmin(UserAdmin):
    fieldsets = (*UserAdmin.fieldsets, ("角色", {"fields": ("role", "organisation", "enterprise", "display_name")}))
    list_display = ("username", "display_name", "role", "organisation", "enterprise", "is_active")
    list_filter = ("role", "is_active")
    raw_id_fields = ("enterprise",)

    def save_model(self, request, obj, form, change):
        before = _security_state(User.objects.get(pk=obj.pk)) if change else {}
        super().save_model(request, obj, form, change)
        changes = audit.diff(before, _security_state(obj), SECURITY_FIELDS)
        if changes:
            audit.record(
                actor=request.user,
                action="user.create" if not change else "user.update",
                obj=obj,
                changes=changes,
                note="管理后台",
            )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Read only: tokens are issued and revoked on the account pages (audited), never edited."""

    list_display = ("user", "name", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "region")
    list_filter = ("kind",)
    search_fields = ("name",)


@receiver(post_save, sender=LogEntry, dispatch_uid="kechuang.audit_admin_change")
def audit_admin_change(sender, instance: LogEntry, created: bool, **kwargs):
    """Every save or delete through the admin site also lands in the audit chain (who, from where, what)."""
    if not created:
        return
    action = "admin.delete" if instance.action_flag == DELETION else "admin.change"
    model = instance.content_type.model_class() if instance.content_type_id else None
    audit.record(
        actor=instance.user,
        action=action,
        object_type=model._meta.label_lower if model else "",
        object_id=instance.object_id or "",
        note=f"{instance.object_repr}：{instance.get_change_message() or '新增'}"[:500],
    )
