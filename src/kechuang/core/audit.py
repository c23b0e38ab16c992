"""Audit trail: services call these inside their transaction, so an audit event exists iff the change does."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from decimal import Decimal

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist

from kechuang.engine import labels

from .models import AuditEvent

# What each recorded action is called on the pages and in exports (every `action=` the services write).
ACTION_LABELS = {
    "enterprise.create": "新增企业", "enterprise.update": "修改企业信息",
    "figure.create": "新增年度数据", "figure.update": "修改年度数据",
    "qualification.create": "新增资质", "submission.create": "企业填报",
    "submission.confirm": "确认填报", "submission.reject": "退回填报",
    "parameter.create": "新增规则参数版本", "tier_run.create": "完成梯队评价", "tier_run.void": "作废梯队评价批次",
    "points.score": "计算创新积分", "points.scheme.create": "新增积分方案版本",
    "points.alert_rules.create": "新增预警规则版本", "points.alerts.refresh": "刷新监测预警",
    "points.alert.acknowledge": "确认预警", "points.alert.assign": "指派预警",
    "policy.create": "新增政策", "policy.update": "修改政策",
    "policy.version.create": "新增政策版本", "policy.version.publish": "发布政策版本",
    "policy.simulate": "政策模拟测算", "policy.eligibility_run": "政策资格比对",
    "policy.clawback_check": "追回复核",
    "entitlement.create": "生成兑现资格", "entitlement.confirm": "确认兑现资格",
    "entitlement.cancel": "取消兑现资格", "entitlement.stacked": "不予叠加享受",
    "budget.create": "新增预算", "budget.update": "修改预算", "budget.commit": "占用预算", "budget.pay": "预算支出",
    "batch.create": "生成兑现批次", "batch.approve": "审批兑现批次", "batch.refuse": "退回兑现批次",
    "batch.export": "导出国库支付清单", "batch.paid": "确认拨付",
    "clawback.flag": "标记待追回", "clawback.resolve": "处理追回",
    "rule_version.create": "调整规则参数", "bank_account.save": "保存收款账户", "demo.build": "生成演示数据",
    # chains
    "chain.create": "新增产业链", "chain.update": "修改产业链", "segment.save": "保存产业链环节",
    "segment.delete": "删除产业链环节", "product_profile.save": "保存企业主营产品",
    "product_profile.import": "导入企业主营产品",
    "placement.suggest": "推荐环节企业", "placement.confirm": "确认环节企业", "placement.reject": "否决环节企业",
    "placement.add": "添加环节企业", "designation.save": "认定链主/链核", "designation.end": "终止链主/链核认定",
    "target.save": "保存招商线索", "target.status": "更新招商进展",
    # carriers
    "carrier.create": "新增载体", "carrier.update": "修改载体", "application.submit": "提交入驻申请",
    "application.review": "审核入驻申请", "application.sign": "入驻签约", "application.move_in": "办理入驻",
    "application.withdraw": "撤回入驻申请", "residency.stage": "调整孵化阶段", "residency.end": "办理毕业/迁出",
    "kpi.save": "报送载体月度指标", "kpi.import": "导入载体月度指标", "ranking.run": "计算载体月度排名",
    "equipment.save": "保存中试设备", "pilot_service.save": "登记中试服务",
    "offshore_project.save": "保存离岸中心项目",
    # one-stop services and 包联
    "service_request.submit": "提交服务单", "service_request.accept": "受理服务单",
    "service_request.route": "转办服务单",
    "service_request.complete": "办结服务单", "service_request.reject": "不予受理服务单",
    "service_request.withdraw": "撤回服务单", "service_request.rate": "评价服务单",
    "assignment.save": "安排包联", "assignment.end": "结束包联", "visit.save": "登记走访",
    "visit.follow_up_done": "办结走访待办",
}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


def object_type_label(object_type: str) -> str:
    """'enterprises.annualfigure' → 年度数据 (the model's own verbose name)."""
    try:
        return str(apps.get_model(object_type)._meta.verbose_name)
    except (LookupError, ValueError):
        return object_type


def changes_text(object_type: str, changes: dict) -> str:
    """{field: [old, new]} as 字段：旧 → 新, in the model's words (field name, choice label) where it has the field."""
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        model = None

    def field_of(name: str):
        try:
            return model._meta.get_field(name) if model is not None else None
        except FieldDoesNotExist:
            return None

    def shown(field, value) -> str:
        if value is None or value == "":
            return "空"
        if isinstance(value, (list, dict)):  # a band table or a range: as JSON, readable and copyable
            return json.dumps(value, ensure_ascii=False)
        choices = dict(getattr(field, "flatchoices", None) or ())
        return str(choices.get(value, value))

    parts = []
    for name, change in changes.items():
        field = field_of(name)
        title = str(field.verbose_name) if field is not None and hasattr(field, "verbose_name") else labels.label(name)
        if isinstance(change, (list, tuple)) and len(change) == 2:
            parts.append(f"{title}：{shown(field, change[0])} → {shown(field, change[1])}")
        else:
            parts.append(f"{title}：{change}")
    return "；".join(parts)


def jsonable(value):
    """A stable, JSON-safe rendering of a field value for old → new records."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral_value() else format(value, "f")
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def same(a, b) -> bool:
    """Equality that treats Decimal('1.50') and Decimal('1.5') as the same value."""
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        return a.compare(b) == 0
    return a == b


def diff(old: Mapping, new: Mapping, fields: Iterable[str]) -> dict[str, list]:
    """{field: [old, new]} for the fields whose value changed."""
    out = {}
    for name in fields:
        before, after = old.get(name), new.get(name)
        if not same(before, after):
            out[name] = [jsonable(before), jsonable(after)]
    return out


def event(*, actor, action: str, obj, enterprise=None, changes=None, note: str = "") -> AuditEvent:
    return AuditEvent(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        object_type=obj._meta.label_lower if hasattr(obj, "_meta") else str(type(obj).__name__),
        object_id=str(obj.pk),
        enterprise=enterprise,
        changes=changes or {},
        note=note[:500],
    )


def record(**kwargs) -> AuditEvent:
    ev = event(**kwargs)
    ev.save()
    return ev


def record_many(events: list[AuditEvent], batch_size: int = 2000) -> None:
    AuditEvent.objects.bulk_create(events, batch_size=batch_size)
