"""Cross-cutting records: reference data (regions, industries), audit events and background jobs."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Region(models.Model):
    """GB/T 2260 administrative division."""

    code = models.CharField(_("行政区划代码"), max_length=6, primary_key=True)
    name = models.CharField(_("名称"), max_length=64)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    level = models.PositiveSmallIntegerField(_("级别"), help_text="1 省, 2 市, 3 县区")

    class Meta:
        ordering = ["code"]
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")

    def __str__(self) -> str:
        return self.name

    @property
    def full_name(self) -> str:
        names, node = [], self
        while node is not None:
            names.append(node.name)
            node = node.parent
        return "".join(reversed(names))


class Industry(models.Model):
    """GB/T 4754-2017 industry classification: section (letter), division (2), group (3), class (4)."""

    code = models.CharField(_("行业代码"), max_length=4, primary_key=True)
    name = models.CharField(_("名称"), max_length=128)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    level = models.PositiveSmallIntegerField(_("级别"), help_text="1 门类, 2 大类, 3 中类, 4 小类")
    # The section letter, kept on every row so "all of manufacturing (C)" is one indexed filter whatever the depth.
    section = models.CharField(_("门类"), max_length=1, db_index=True, default="")

    class Meta:
        ordering = ["code"]
        verbose_name = _("国民经济行业")
        verbose_name_plural = _("国民经济行业")

    def __str__(self) -> str:
        return self.name


class AuditQuerySet(models.QuerySet):
    """Audit records are append-only: no update, no delete (retention purges go through `core.audit`)."""

    def update(self, **kwargs):
        raise PermissionError("审计记录只能追加，不能修改")

    def delete(self):
        raise PermissionError("审计记录只能追加，不能删除（超过保存期限的记录由 kechuang audit purge 清理）")

    def bulk_create(self, objs, *args, **kwargs):
        from . import audit

        return audit.record_many(list(objs))

    def _raw_delete_expired(self, cutoff):
        return models.QuerySet.delete(self.filter(at__lt=cutoff))


class AuditEvent(models.Model):
    """One business or security event: who, when, from where, what, old → new. Written by services.

    `changes` maps a field name to [old, new] (JSON-safe strings/numbers). `enterprise_id` is denormalised so an
    enterprise page can show its whole history with one indexed query. Each record carries the hash of the one
    before it and its own (`core.audit.chain_hash`), so a changed, inserted or removed record breaks the chain
    that `kechuang audit verify` walks.
    """

    at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("操作人"),
    )
    # The actor's username when the event was written (kept in the chain even if the account is renamed).
    actor_name = models.CharField(_("操作人账号"), max_length=150, blank=True)
    address = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    action = models.CharField(_("操作"), max_length=64)
    object_type = models.CharField(_("对象类型"), max_length=64)
    object_id = models.CharField(_("对象"), max_length=64)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_events",
    )
    changes = models.JSONField(_("变更"), default=dict, blank=True)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    prev_hash = models.CharField(max_length=64, blank=True, editable=False)
    hash = models.CharField(max_length=64, blank=True, editable=False)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["enterprise", "-at"]),
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["action", "-at"]),
        ]
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("审计记录只能追加，不能修改")
        from . import audit

        audit.record_many([self])

    def delete(self, *args, **kwargs):
        raise PermissionError("审计记录只能追加，不能删除")


class Job(models.Model):
    """A background job's visible state: progress for the page and the CLI, the result when done."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("运行中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("类型"), max_length=64)
    title = models.CharField(_("标题"), max_length=200)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    done = models.PositiveIntegerField(_("已处理"), default=0)
    total = models.PositiveIntegerField(_("总数"), default=0)
    message = models.CharField(_("消息"), max_length=500, blank=True)
    result = models.JSONField(_("结果"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # What to run, kept so a job whose worker died can be queued again (core.jobs.recover_stalled).
    func = models.CharField(max_length=200, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    # The claim: which worker process runs it ("host:pid"), its latest sign of life, how many times it started.
    worker = models.CharField(max_length=100, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="core_job_stalled_idx")]
        verbose_name = _("后台任务")
        verbose_name_plural = _("后台任务")

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else (100 if self.status == self.Status.DONE else 0)

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
