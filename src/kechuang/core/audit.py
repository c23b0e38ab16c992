"""Audit trail: services call these inside their transaction, so an audit event exists iff the change does."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import connection, models, transaction
from django.utils import timezone

from kechuang.engine import labels

from . import display
from .client import current_address
from .models import AuditEvent

# 等保2.0 (GB/T 22239-2019) level 3 asks for audit records kept at least six months.
RETENTION_FLOOR_DAYS = 183
# Any fixed 64-bit number naming "the audit chain" among PostgreSQL advisory locks.
CHAIN_LOCK_KEY = 0x6B635F6175646974

# What each recorded action is called on the pages and in exports (every `action=` the services write).
ACTION_LABELS = {
    "enterprise.create": "新增企业",
    "enterprise.update": "修改企业信息",
    "figure.create": "新增年度数据",
    "figure.update": "修改年度数据",
    "qualification.create": "新增资质",
    "submission.create": "企业填报",
    "submission.confirm": "确认填报",
    "submission.reject": "退回填报",
    "parameter.create": "新增规则参数版本",
    "tier_run.create": "完成梯队评价",
    "tier_run.void": "作废梯队评价批次",
    "points.score": "计算创新积分",
    "points.scheme.create": "新增积分方案版本",
    "points.alert_rules.create": "新增预警规则版本",
    "points.alerts.refresh": "刷新监测预警",
    "points.alert.acknowledge": "确认预警",
    "points.alert.assign": "指派预警",
    "policy.create": "新增政策",
    "policy.update": "修改政策",
    "policy.version.create": "新增政策版本",
    "policy.version.publish": "发布政策版本",
    "policy.simulate": "政策模拟测算",
    "policy.eligibility_run": "政策资格比对",
    "policy.clawback_check": "追回复核",
    "entitlement.create": "生成兑现资格",
    "entitlement.confirm": "确认兑现资格",
    "entitlement.cancel": "取消兑现资格",
    "entitlement.stacked": "不予叠加享受",
    "budget.create": "新增预算",
    "budget.update": "修改预算",
    "budget.commit": "占用预算",
    "budget.pay": "预算支出",
    "batch.create": "生成兑现批次",
    "batch.approve": "审批兑现批次",
    "batch.refuse": "退回兑现批次",
    "batch.export": "导出国库支付清单",
    "export.download": "下载导出文件",
    "import.rejected_download": "下载导入被拒绝的行",
    "batch.paid": "确认拨付",
    "clawback.flag": "标记待追回",
    "clawback.resolve": "处理追回",
    "rule_version.create": "新增规则版本",
    "rule_version.publish": "发布规则版本",
    "region_profile.update": "设置地区配置",
    "bank_account.save": "保存收款账户",
    "demo.build": "生成演示数据",
    # 揭榜挂帅 (challenges)
    "challenge.create": "录入揭榜需求",
    "challenge.visit": "录入走访记录",
    "challenge.draft": "编制榜单",
    "challenge.move": "推进榜单阶段",
    "challenge.results": "公开成果摘要",
    "challenge.apply": "揭榜申报",
    "challenge.withdraw": "撤回揭榜申报",
    "challenge.capability": "发布技术能力",
    "challenge.expert": "维护评审专家",
    "challenge.conflict": "登记利益冲突",
    "challenge.cooperation": "登记专家合作记录",
    "challenge.panel": "调整评审组",
    "challenge.score": "专家评分",
    "challenge.finalise": "评审汇总定分",
    "challenge.eligibility": "核实申报资格",
    "challenge.select": "确定拟立项团队",
    "challenge.objection": "公示异议",
    "challenge.contract": "登记揭榜合同",
    "challenge.commit": "承诺分期资金",
    "challenge.release": "释放资金承诺",
    "challenge.report": "提交里程碑报告",
    "challenge.report_decide": "审核里程碑",
    "challenge.race_decision": "赛马评审决定",
    "challenge.race_review": "赛马评审",
    "challenge.acceptance": "揭榜验收",
    "challenge.pool": "设立资金池",
    "challenge.contribution": "出资到位",
    "challenge.batch": "组建拨付批次",
    "challenge.batch_approve": "审批拨付批次",
    "challenge.batch_refuse": "退回拨付批次",
    "challenge.batch_paid": "登记国库拨付",
    "challenge.batch_export": "导出国库支付清单（揭榜挂帅）",
    "challenge.spending": "登记实际支出",
    "challenge.spending_verify": "核验实际支出",
    "challenge.subsidy": "核定积分补助",
    "challenge.clawback": "登记揭榜资金追回",
    "challenge.clawback_resolve": "处理揭榜资金追回",
    "finance.product.create": "登记金融产品",
    "finance.product.status": "调整产品状态",
    "finance.consent.grant": "授权银行查看数据",
    "finance.consent.withdraw": "撤回数据授权",
    "finance.application.submit": "提交融资申请",
    "finance.application.due_diligence": "开始尽职调查",
    "finance.application.approved": "批准融资申请",
    "finance.application.declined": "不予批准融资申请",
    "finance.application.contract": "签订贷款合同",
    "finance.application.disbursed": "放款",
    "finance.application.repaid": "贷款结清",
    "finance.application.overdue": "登记逾期",
    "finance.application.defaulted": "登记违约",
    "finance.application.withdrawn": "撤回融资申请",
    "finance.loan.status": "更新贷款状态",
    "finance.loan.import": "导入贷款记录",
    "finance.pool.contribute": "资金池注资",
    "finance.pool.claim": "资金池核定补偿",
    "finance.pool.recovery": "追偿回款",
    "finance.deal.create": "登记投资项目",
    "finance.deal.due_diligence": "开始尽职调查",
    "finance.deal.committee": "提交投委会",
    "finance.deal.decision": "投委会决议",
    "finance.deal.vote": "登记投委会表决",
    "finance.deal.closed": "项目交割",
    "finance.deal.post_investment": "进入投后管理",
    "finance.deal.exited": "项目退出",
    "finance.deal.written_off": "项目核销",
    "finance.deal.document": "登记项目文件",
    "finance.event.create": "登记银企对接活动",
    # chains
    "chain.create": "新增产业链",
    "chain.update": "修改产业链",
    "segment.save": "保存产业链环节",
    "segment.delete": "删除产业链环节",
    "product_profile.save": "保存企业主营产品",
    "product_profile.import": "导入企业主营产品",
    "placement.suggest": "推荐环节企业",
    "placement.confirm": "确认环节企业",
    "placement.reject": "否决环节企业",
    "placement.add": "添加环节企业",
    "designation.save": "认定链主/链核",
    "designation.end": "终止链主/链核认定",
    "target.save": "保存招商线索",
    "target.status": "更新招商进展",
    # carriers
    "carrier.create": "新增载体",
    "carrier.update": "修改载体",
    "application.submit": "提交入驻申请",
    "application.review": "审核入驻申请",
    "application.sign": "入驻签约",
    "application.move_in": "办理入驻",
    "application.withdraw": "撤回入驻申请",
    "residency.stage": "调整孵化阶段",
    "residency.end": "办理毕业/迁出",
    "kpi.save": "报送载体月度指标",
    "tech_contract.record": "提交技术合同认定登记",
    "tech_contract.registered": "技术合同予以登记",
    "tech_contract.refused": "技术合同未予登记",
    "achievement.create": "登记科技成果",
    "achievement.update": "修改科技成果",
    "achievement.import": "导入科技成果",
    "supply_record.save": "保存高校院所学科、平台、团队或人员",
    "supply_record.import": "导入高校院所学科、平台、团队或人员",
    "need.create": "发布技术需求",
    "need.update": "修改技术需求",
    "need.disclose": "授权查看技术需求详情",
    "need.revoke": "撤销技术需求详情授权",
    "match.pin": "置顶需求匹配",
    "match.dismiss": "排除需求匹配",
    "match.clear": "撤销匹配反馈",
    "kpi.import": "导入载体月度指标",
    "ranking.run": "计算载体月度排名",
    "equipment.save": "保存中试设备",
    "pilot_service.save": "登记中试服务",
    "offshore_project.save": "保存离岸中心项目",
    # one-stop services and 包联
    "service_request.submit": "提交服务单",
    "service_request.accept": "受理服务单",
    "service_request.route": "转办服务单",
    "service_request.complete": "办结服务单",
    "service_request.reject": "不予受理服务单",
    "service_request.withdraw": "撤回服务单",
    "service_request.rate": "评价服务单",
    "assignment.save": "安排包联",
    "assignment.end": "结束包联",
    "visit.save": "登记走访",
    "visit.follow_up_done": "办结走访待办",
    "case.open": "对接案件立案",
    "case.stage": "推进对接案件",
    "case.meeting": "记录案件洽谈",
    "case.terminate": "终止对接案件",
    "case.update": "修改对接案件",
    "matchmaking_event.create": "登记对接活动",
    "matchmaking_event.update": "修改对接活动",
}
# Security events: sign-in, accounts, tokens, the audit log itself. Only the audit admin reads these.
SECURITY_ACTION_LABELS = {
    "auth.login": "登录成功",
    "auth.login_failed": "登录失败",
    "auth.lockout": "账号锁定",
    "auth.address_blocked": "来源地址限制登录",
    "auth.logout": "退出登录",
    "auth.idle_logout": "空闲超时退出",
    "auth.token_failed": "API 令牌认证失败",
    "user.create": "新建用户",
    "user.update": "修改用户角色或范围",
    "user.disable": "停用用户",
    "user.enable": "启用用户",
    "user.unlock": "解除锁定",
    "user.password_change": "修改本人密码",
    "user.password_reset": "管理员重置密码",
    "token.create": "生成 API 令牌",
    "token.revoke": "撤销 API 令牌",
    "admin.change": "管理后台修改",
    "admin.delete": "管理后台删除",
    "audit.export": "导出审计记录",
    "audit.purge": "清理过期审计记录",
    "ops.backup": "备份数据",
    "ops.restore": "从备份恢复数据",
    "ops.archive": "归档历史记录",
}
SECURITY_PREFIXES = ("auth.", "user.", "token.", "admin.", "audit.", "ops.")
ACTION_LABELS.update(SECURITY_ACTION_LABELS)


def is_security_action(action: str) -> bool:
    return action.startswith(SECURITY_PREFIXES)


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


# Models whose rows moved into rules.RuleVersion (decision 0004): the audit keeps their events, by these names.
RETIRED_OBJECT_TYPES = {
    "policies.policyversion": "政策版本",
    "points.schemeversion": "积分方案版本",
    "points.alertruleversion": "监测预警规则版本",
    "tiers.parameterversion": "规则参数版本",
}


def object_type_label(object_type: str) -> str:
    """'enterprises.annualfigure' → 年度数据 (the model's own verbose name)."""
    try:
        return str(apps.get_model(object_type)._meta.verbose_name)
    except (LookupError, ValueError):
        return RETIRED_OBJECT_TYPES.get(object_type, object_type)


def changes_text(object_type: str, changes: dict) -> str:
    """{field: [old, new]} as 字段：旧 → 新, in the model's words (field name, choice label) where it has the field."""
    return "；".join(
        f"{title}：{old} → {new}" if new is not None else f"{title}：{old}"
        for title, old, new in change_rows(object_type, changes)
    )


# Change keys services write that are no field of the audited object (a count an action produced): their titles.
CHANGE_LABELS = {
    "new_alerts": "新增预警数",
    "created": "新增行数",
    "updated": "更新行数",
    "rejected": "拒收行数",
}


def change_title(name: str, field=None) -> str:
    if field is not None and hasattr(field, "verbose_name"):
        return str(field.verbose_name)
    if field is not None and getattr(field, "related_model", None) is not None:  # a reverse relation's rows
        return str(field.related_model._meta.verbose_name_plural)
    return CHANGE_LABELS.get(name) or labels.label(name)


def rule_names() -> dict[str, str]:
    """Policy codes and loan product rule ids → their Chinese names, for rule references (code@date) in notes."""
    names = {}
    for model, key in (("policies.policy", "code"), ("finance.loanproduct", "rule_id")):
        try:
            names.update(apps.get_model(model).objects.values_list(key, "name"))
        except LookupError:
            continue
    return names


def note_text(note: str, names: dict[str, str] | None = None) -> str:
    """An audit note as readers see it: rule references by name and effective date, not code@date."""
    if not note or "@" not in note:
        return note
    return display.rule_refs(note, rule_names() if names is None else names)


def change_rows(object_type: str, changes: dict) -> list[tuple[str, str, str | None]]:
    """Each change as (Chinese title, old text, new text); a change that is not an [old, new] pair comes as
    (title, its text, None). Numbers read as on the pages (core.display): money in 万元 with two decimals."""
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        model = None

    def field_of(name: str):
        try:
            return model._meta.get_field(name) if model is not None else None
        except FieldDoesNotExist:
            return None

    def shown(name: str, field, value) -> str:
        if value is None or value == "":
            return "空"
        moment = _moment(value)
        if moment is not None:  # a stored ISO timestamp (lock, expiry): local time, to the minute
            return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
        if isinstance(value, (list, dict)):  # a band table or a range: as JSON, readable and copyable
            return json.dumps(value, ensure_ascii=False)
        choices = dict(getattr(field, "flatchoices", None) or ())
        if value in choices:
            return str(choices[value])
        return display.field_value(name, value, field)

    rows = []
    for name, change in changes.items():
        field = field_of(name)
        title = change_title(name, field)
        if isinstance(change, (list, tuple)) and len(change) == 2:
            rows.append((title, shown(name, field, change[0]), shown(name, field, change[1])))
        else:
            rows.append((title, str(change), None))
    return rows


def _moment(value) -> dt.datetime | None:
    """The aware datetime an ISO timestamp string stands for (as `jsonable` writes one), else None."""
    if not isinstance(value, str) or "T" not in value or len(value) < 19:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


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


def event(
    *,
    actor,
    action: str,
    obj=None,
    enterprise=None,
    changes=None,
    note: str = "",
    object_type: str | None = None,
    object_id: str | None = None,
    address: str | None = None,
) -> AuditEvent:
    """An unsaved event. The client address defaults to the request being served (`core.client`)."""
    real_actor = actor if getattr(actor, "is_authenticated", False) else None
    if obj is not None:
        object_type = object_type or (obj._meta.label_lower if hasattr(obj, "_meta") else type(obj).__name__)
        object_id = object_id if object_id is not None else str(obj.pk)
    return AuditEvent(
        at=timezone.now(),
        actor=real_actor,
        actor_name=real_actor.get_username() if real_actor is not None else "",
        address=address or current_address.get(),
        action=action,
        object_type=object_type or "",
        object_id=str(object_id or "")[:64],
        enterprise=enterprise,
        changes=changes or {},
        note=note[:500],
    )


def record(**kwargs) -> AuditEvent:
    ev = event(**kwargs)
    record_many([ev])
    return ev


# ---------------------------------------------------------------- the hash chain


def _canonical(ev: AuditEvent) -> str:
    return _canonical_json(
        ev.prev_hash,
        _stamp(ev.at),
        ev.actor_id,
        ev.actor_name,
        ev.address,
        ev.action,
        ev.object_type,
        ev.object_id,
        ev.enterprise_id,
        ev.changes,
        ev.note,
    )


def _stamp(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# What json.dumps(…, sort_keys=True, ensure_ascii=False, separators=(",", ":")) builds on every call, built once.
_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _canonical_json(prev_hash: str, stamp: str, *fields) -> str:
    """The hashed text: the previous hash, the time (`_stamp`), then actor id, actor name, address, action, object
    type, object id, enterprise id, changes and note (one definition for record_many and record_copy)."""
    return _CANONICAL.encode([prev_hash, stamp, *fields])


def chain_hash(ev: AuditEvent) -> str:
    """SHA-256 over the event's content and the hash of the event before it."""
    return hashlib.sha256(_canonical(ev).encode()).hexdigest()


def _lock_chain() -> None:
    """Serialise writers of the chain until their transaction ends. SQLite already does (every transaction
    begins IMMEDIATE, see settings); PostgreSQL takes a transaction-level advisory lock."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])


def record_many(events: list[AuditEvent], batch_size: int = 2000) -> list[AuditEvent]:
    """Append events to the chain in order, inside the caller's transaction (or one of their own)."""
    if not events:
        return events
    with transaction.atomic():
        _lock_chain()
        previous = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first() or ""
        for ev in events:
            if ev.at is None:
                ev.at = timezone.now()
            if ev.actor_id and not ev.actor_name:
                ev.actor_name = ev.actor.get_username()
            if ev.address is None:
                ev.address = current_address.get()
            ev.changes = json.loads(json.dumps(ev.changes or {}))  # stored as JSON reads it back
            ev.prev_hash = previous
            ev.hash = previous = chain_hash(ev)
        models.QuerySet.bulk_create(AuditEvent.objects.all(), events, batch_size=batch_size)
    return events


# Columns of a bulk-appended event (record_copy): who acted, from where and when are the same for all of them.
COPY_COLUMNS = (
    "at",
    "actor_id",
    "actor_name",
    "address",
    "action",
    "object_type",
    "object_id",
    "enterprise_id",
    "changes",
    "note",
    "prev_hash",
    "hash",
)


def record_copy(events: list[tuple], *, actor=None, meanwhile=None) -> int:
    """Append many events of one actor, given as (action, object_type, object_id, enterprise_id, changes, note),
    to the chain in order, inside the caller's transaction: on PostgreSQL by COPY, with the hashes `record_many`
    computes (an import of a million rows records half a million events; model instances and bulk_create would
    cost more than the import). Elsewhere it is `record_many`.

    `meanwhile`: a callable run on this connection, once, before the events are appended; on PostgreSQL while
    the hashes are computed in a thread (a statement the server works on for seconds leaves the Python of half a
    million hashes free to run beside it: psycopg waits for the server without the GIL)."""
    real_actor = actor if getattr(actor, "is_authenticated", False) else None
    if connection.vendor != "postgresql" or not events:
        if meanwhile is not None:
            meanwhile()
        if events:
            record_many([AuditEvent(actor=real_actor, **_event_fields(*event)) for event in events])
        return len(events)
    actor_id = real_actor.pk if real_actor is not None else None
    actor_name = real_actor.get_username() if real_actor is not None else ""
    address = current_address.get()
    at = timezone.now()
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    with transaction.atomic():
        _lock_chain()
        previous = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first() or ""
        with ThreadPoolExecutor(max_workers=1) as hasher:
            rows = hasher.submit(_chained_rows, events, previous, at, (actor_id, actor_name, address))
            if meanwhile is not None:
                meanwhile()
            rows = rows.result()
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} ({', '.join(COPY_COLUMNS)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
    return len(events)


def _event_fields(action, object_type, object_id, enterprise_id, changes, note) -> dict:
    return {
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id)[:64],
        "enterprise_id": enterprise_id,
        "changes": changes,
        "note": note[:500],
    }


def _chained_rows(events: list[tuple], previous: str, at: dt.datetime, who: tuple) -> list[tuple]:
    """COPY_COLUMNS of each event, chained from `previous` as `record_many` chains them."""
    stamp = _stamp(at)
    rows = []
    for action, object_type, object_id, enterprise_id, changes, note in events:
        changes = json.loads(json.dumps(changes)) if changes else {}  # as JSON reads it back
        object_id, note = str(object_id)[:64], note[:500]
        fields = (*who, action, object_type, object_id, enterprise_id, changes, note)
        digest = hashlib.sha256(_canonical_json(previous, stamp, *fields).encode()).hexdigest()
        stored = json.dumps(changes, ensure_ascii=False) if changes else "{}"
        rows.append((at, *fields[:-2], stored, note, previous, digest))
        previous = digest
    return rows


@dataclass
class ChainReport:
    checked: int
    broken: AuditEvent | None = None
    reason: str = ""


def verify(chunk_size: int = 5000) -> ChainReport:
    """Walk the chain in order: each record's hash matches its content and names the record before it.

    The first record may follow records purged after the retention period: its `prev_hash` must then be the
    one the latest `audit.purge` event recorded."""
    purge = AuditEvent.objects.filter(action="audit.purge").order_by("-id").first()
    anchors = {"", (purge.changes.get("through_hash") or ["", ""])[1]} if purge else {""}
    previous = None
    checked = 0
    for ev in AuditEvent.objects.order_by("id").iterator(chunk_size=chunk_size):
        if previous is None:
            if ev.prev_hash not in anchors:
                return ChainReport(checked, ev, "链首记录引用了不存在的前一条记录（记录可能被删除）")
        elif ev.prev_hash != previous:
            return ChainReport(checked, ev, "与前一条记录不衔接（前一条记录被修改、删除或在其后插入了记录）")
        if chain_hash(ev) != ev.hash:
            return ChainReport(checked, ev, "内容与其哈希不符（记录被修改）")
        previous = ev.hash
        checked += 1
    return ChainReport(checked)


# ---------------------------------------------------------------- retention


def retention_days() -> int:
    """How long audit records are kept: the setting, never less than the 等保2.0 floor of 180 days."""
    return max(getattr(settings, "AUDIT_RETENTION_DAYS", RETENTION_FLOOR_DAYS), RETENTION_FLOOR_DAYS)


def purge(*, before: dt.date, actor=None) -> int:
    """Delete records older than `before`, which must itself be older than the retention period."""
    cutoff_day = timezone.localdate() - dt.timedelta(days=retention_days())
    if before > cutoff_day:
        raise ValueError(f"审计记录至少保存 {retention_days()} 天：只能清理 {cutoff_day} 之前的记录")
    cutoff = dt.datetime.combine(before, dt.time.min, tzinfo=timezone.get_current_timezone())
    with transaction.atomic():
        _lock_chain()
        old = AuditEvent.objects.filter(at__lt=cutoff)
        last = old.order_by("-id").values_list("hash", flat=True).first()
        if last is None:
            return 0
        count = old.count()
        old._raw_delete_expired(cutoff)
        record(
            actor=actor,
            action="audit.purge",
            object_type="core.auditevent",
            object_id="",
            changes={"through_hash": ["", last], "count": [None, count]},
            note=f"清理 {before} 之前的审计记录 {count} 条",
        )
    return count


def wipe_demo() -> None:
    """`kechuang demo --rebuild` starts over: allowed only on a database the demo built."""
    if not AuditEvent.objects.filter(action="demo.build").exists():
        raise PermissionError("该数据库不是演示数据库：审计记录不能清空")
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL kechuang.audit_wipe = 'demo'")
        models.QuerySet.delete(AuditEvent.objects.all())
