"""Writes of the policy app: library and versions, simulations, eligibility runs, confirmations, bank accounts,
payout batches (maker–checker against a locked budget row), payments and claw-backs.

Every write is one transaction with its audit events. Entry points the demo build calls:
`load_shipped_policies()` (idempotent) and `run_eligibility(policy_id, as_of, user=None)`.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import polars as pl
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kechuang.core import audit, bulk, jobs, payouts
from kechuang.core.models import AuditEvent, Job
from kechuang.engine.numbers import money_exact_text, money_text
from kechuang.engine.policies import POLICIES, PolicyDoc, funding, load_policies, money, simulate, validate_version
from kechuang.engine.policies.evaluate import TRUE, UNKNOWN, decide, prepare_inputs
from kechuang.engine.ruledata import RuleDataError, parse
from kechuang.enterprises.models import Enterprise
from kechuang.rules import services as rule_versions
from kechuang.rules.models import RuleVersion

from . import loaders, reports, selectors
from .models import (
    RULE_KIND,
    BankAccount,
    Budget,
    Clawback,
    EligibilityResult,
    EligibilityRun,
    Entitlement,
    PayoutBatch,
    Policy,
    SimulationRun,
)

# Simulations over more firms than this run as background jobs with progress.
INLINE_SIMULATION_FIRMS = getattr(settings, "POLICY_SIMULATION_INLINE_FIRMS", 5000)
EDITABLE_KEYS = ("facts_year", "eligibility", "benefit", "limits", "budget")
POLICY_LABEL = POLICIES.label  # the kind's name in the audit of its versions ("政策")


def _require(flag: bool, message: str) -> None:
    if not flag:
        raise PermissionDenied(message)


def _policy(policy_id) -> Policy:
    if isinstance(policy_id, Policy):
        return policy_id
    qs = Policy.objects.filter(pk=policy_id) if isinstance(policy_id, int) else Policy.objects.filter(code=policy_id)
    policy = qs.first()
    if policy is None:
        raise ValidationError(_("政策“%(p)s”不存在") % {"p": policy_id})
    return policy


def _now_db():
    return connection.ops.adapt_datetimefield_value(timezone.now())


# ---------------------------------------------------------------- library


def _meta_from(data: dict) -> dict:
    return {
        "name": data["name"],
        "issuer": data["issuer"],
        "document": data["document"],
        "package": data.get("package") or "",
        "measure": data.get("measure") or "",
        "source": data["source"],
        "verification": data["verification"],
        "delivery": data["delivery"],
        "stacking_group": data.get("stacking_group") or "",
        "summary": data.get("summary") or "",
    }


def load_shipped_policies(user=None, directory=None) -> dict[str, int]:
    """Load the shipped YAML policies into the library: new policies and versions are created, existing ones
    left as they are (a bureau may have added versions since). Idempotent."""
    stats = {"policies": 0, "versions": 0}
    shipped = load_policies(directory)
    with transaction.atomic():
        for code, engine_policy in shipped.items():
            latest = engine_policy.latest()
            policy, created = Policy.objects.get_or_create(code=code, defaults=_meta_from(latest))
            if created:
                stats["policies"] += 1
                audit.record(actor=user, action="policy.create", obj=policy, note=f"载入内置政策“{policy.name}”")
            have = set(selectors.versions(policy).values_list("effective_from", flat=True))
            for data in engine_policy.versions:
                effective_from = dt.date.fromisoformat(data["effective_from"])
                if effective_from in have:
                    continue
                effective_to = data.get("effective_to")
                rule_versions.save_document_version(
                    user=user,
                    kind=RULE_KIND,
                    label=POLICY_LABEL,
                    name=data["name"],
                    rule_id=code,
                    value=data,
                    previous=None,
                    effective_from=effective_from,
                    effective_to=dt.date.fromisoformat(effective_to) if effective_to else None,
                    source=data["source"],
                    note=data.get("note") or "",
                    shipped=True,
                )
                stats["versions"] += 1
            _sync_budgets(policy, user)
    return stats


def build_version(
    policy: Policy, *, changes: dict, effective_from: dt.date, effective_to: dt.date | None, source: str, note: str
) -> dict:
    """The version dict of a new version: the base version (the one in force on `effective_from`, else the
    latest) with the edited keys (`EDITABLE_KEYS`, from the editor) replaced; an empty budget removes it.
    Raises ValidationError with the Chinese message of the rule-data layer (PolicyDoc, the engine's checks
    included)."""
    base = (
        selectors.version_on(policy, effective_from) or selectors.versions(policy).order_by("-effective_from").first()
    )
    unknown = sorted(set(changes) - set(EDITABLE_KEYS))
    if unknown:  # a programming error: the editor reads only the editable keys
        raise ValueError(f"not editable: {unknown}")
    data = {k: v for k, v in (base.value if base else {}).items() if k != "version_id"}
    for key, value in json.loads(json.dumps(changes, default=str)).items():
        if value in (None, {}) and key != "limits":
            data.pop(key, None)
        else:
            data[key] = value
    data.update(
        {
            "id": policy.code,
            "effective_from": effective_from.isoformat(),
            "source": source.strip(),
            "note": note.strip(),
        }
    )
    data["effective_to"] = effective_to.isoformat() if effective_to else None
    if data["effective_to"] is None:
        data.pop("effective_to")
    return _checked(data).version_dict()


def _checked(data: dict) -> PolicyDoc:
    """A version dict checked as every policy version is, through the rule-data layer (PolicyDoc, which runs
    the engine's own checks); ValidationError naming each field, without the policy's code."""
    try:
        return parse(PolicyDoc, data)
    except RuleDataError as exc:
        raise ValidationError(
            "；".join(f"{p.field}：{p.message}" if p.field else p.message for p in exc.problems)
        ) from None


def add_version(
    *,
    user,
    policy: Policy,
    changes: dict,
    effective_from: dt.date,
    effective_to: dt.date | None = None,
    source: str,
    note: str,
    draft: bool = False,
) -> RuleVersion:
    """A new dated version (bureau admin only), stored and audited by the one rule-version service; a published
    one takes effect from `effective_from` (the policy's name, source and budgets follow it)."""
    _require(user.can_admin, _("只有科技局管理员可以修改政策"))
    if not source.strip():
        raise ValidationError(_("请填写新版本的依据来源（文件名称、文号或网址）"))
    if not note.strip():
        raise ValidationError(_("请填写修订说明"))
    data = build_version(
        policy, changes=changes, effective_from=effective_from, effective_to=effective_to, source=source, note=note
    )
    base = selectors.version_on(policy, effective_from)
    old = base.value if base else {}
    if not draft:
        _check_unique_date(policy, effective_from)
    with transaction.atomic():
        version = rule_versions.save_document_version(
            user=user,
            kind=RULE_KIND,
            label=POLICY_LABEL,
            name=data["name"],
            rule_id=policy.code,
            value=data,
            previous=base.value if base else None,
            previous_key=base.key if base else "",
            effective_from=effective_from,
            effective_to=effective_to,
            source=source,
            note=note,
            draft=draft,
            changes={k: [old.get(k), data.get(k)] for k in EDITABLE_KEYS if old.get(k) != data.get(k)},
        )
        if not draft:
            _after_publish(policy, user)
    return version


def publish_version(*, user, version: RuleVersion) -> RuleVersion:
    _require(user.can_admin, _("只有科技局管理员可以发布政策版本"))
    if version.status != RuleVersion.Status.DRAFT:
        raise ValidationError(_("只有草稿可以发布"))
    _checked(version.value)
    policy = selectors.policy_of(version)
    _check_unique_date(policy, version.effective_from)
    with transaction.atomic():
        rule_versions.publish_version(user=user, version=version, label=POLICY_LABEL, name=policy.name)
        _after_publish(policy, user)
    return version


def _check_unique_date(policy: Policy, effective_from: dt.date) -> None:
    if selectors.published(policy).filter(effective_from=effective_from).exists():
        raise ValidationError(_("%(d)s 已有发布的版本；请另选生效日期") % {"d": effective_from})


def _after_publish(policy: Policy, user) -> None:
    latest = selectors.published(policy).order_by("-effective_from").first()
    meta = _meta_from(latest.value)
    old = {k: getattr(policy, k) for k in meta}
    changes = audit.diff(old, meta, meta)
    if changes:
        for k, v in meta.items():
            setattr(policy, k, v)
        policy.save()
        audit.record(actor=user, action="policy.update", obj=policy, changes=changes)
    _sync_budgets(policy, user)


def _sync_budgets(policy: Policy, user) -> None:
    """Yearly envelopes from the published versions: for each year, the latest version naming it wins."""
    amounts: dict[int, Decimal] = {}
    for data in selectors.published(policy).order_by("effective_from").values_list("value", flat=True):
        for year, value in ((data.get("budget") or {}).get("by_year") or {}).items():
            amounts[int(year)] = money.yuan_to_wan(money.to_yuan(value))
    current = {b.year: b for b in Budget.objects.select_for_update().filter(policy=policy)}
    for year, amount in sorted(amounts.items()):
        budget = current.get(year)
        if budget is None:
            budget = Budget.objects.create(policy=policy, year=year, amount=amount)
            audit.record(
                actor=user,
                action="budget.create",
                obj=budget,
                changes={"amount": [None, str(amount)]},
                note=f"{policy.code} {year}",
            )
        elif budget.amount != amount:
            if amount < budget.committed:
                raise ValidationError(
                    _("%(y)s 年度预算不能低于已审批金额 %(c)s") % {"y": year, "c": money_exact_text(budget.committed)}
                )
            audit.record(
                actor=user,
                action="budget.update",
                obj=budget,
                changes={"amount": [str(budget.amount), str(amount)]},
                note=f"{policy.code} {year}",
            )
            budget.amount = amount
            budget.save(update_fields=["amount", "updated_at"])


# ---------------------------------------------------------------- simulation


def start_simulation(
    *, user, version: RuleVersion, as_of: dt.date, compare_to: RuleVersion | None = None
) -> SimulationRun:
    """Simulate a version (draft or published) over every firm; large runs go to the background."""
    _require(user.is_bureau, _("无权进行政策模拟"))
    sim = SimulationRun.objects.create(
        policy=selectors.policy_of(version), version=version, compare_to=compare_to, as_of=as_of, created_by=user
    )
    audit.record(
        actor=user,
        action="policy.simulate",
        obj=sim,
        note=f"{version.key} 基准日 {as_of}" + (f" 对比 {compare_to.key}" if compare_to else ""),
    )
    if Enterprise.objects.count() > INLINE_SIMULATION_FIRMS:
        job = jobs.start(
            kind="policy_simulation",
            title=f"政策模拟 {version.key}（{as_of}）",
            user=user,
            func="kechuang.policies.services.simulation_job",
            simulation_id=sim.pk,
        )
        SimulationRun.objects.filter(pk=sim.pk).update(job=job)
        sim.job = job
        return sim
    run_simulation(sim)
    return sim


def simulation_job(job: Job, simulation_id: int) -> dict:
    sim = SimulationRun.objects.get(pk=simulation_id)
    run_simulation(sim, job=job)
    return {"message": "模拟完成", "url": f"/policies/simulations/{sim.pk}/"}


def run_simulation(sim: SimulationRun, job: Job | None = None) -> SimulationRun:
    try:
        if job:
            jobs.report(job, 0, total=3, message="正在读取企业数据……")
        panel = loaders.panel(sim.as_of)
        tiers = loaders.tiers()
        data = _with_live_envelope(sim.version, sim.policy, sim.as_of.year)
        typed = validate_version(data)
        # the ledger an eligibility run on this date would be weighed against (same history, same rule)
        book = loaders.ledger(sim.policy, sim.as_of.year, typed.stacking_group, typed.budget.allocation)
        if job:
            jobs.report(job, 1, message="正在模拟……")
        result = reports.simulation_result(
            data,
            panel,
            sim.as_of,
            tiers,
            book,
            compare_to=sim.compare_to.value if sim.compare_to else None,
        )
        if job:
            jobs.report(job, 2, message="正在保存结果……")
        SimulationRun.objects.filter(pk=sim.pk).update(status=SimulationRun.Status.DONE, result=result)
        sim.status, sim.result = SimulationRun.Status.DONE, result
    except Exception as exc:
        SimulationRun.objects.filter(pk=sim.pk).update(status=SimulationRun.Status.FAILED, result={"error": str(exc)})
        raise
    if job:
        jobs.report(job, 3)
    return sim


def _with_live_envelope(version: RuleVersion, policy: Policy, year: int) -> dict:
    """The version dict a simulation decides with: the payout year's envelope is the Budget row an eligibility
    run allocates against (it may have been set apart from the versions), unless a draft proposes its own."""
    data = version.value
    row = Budget.objects.filter(policy=policy, year=year).values_list("amount", flat=True).first()
    by_year = {str(k): v for k, v in ((data.get("budget") or {}).get("by_year") or {}).items()}
    if row is None or (version.status == RuleVersion.Status.DRAFT and str(year) in by_year):
        return data
    budget = dict(data.get("budget") or {}, by_year={**by_year, str(year): format(row, "f")})
    return dict(data, budget=budget)


# ---------------------------------------------------------------- eligibility


def start_eligibility(*, user, policy: Policy, as_of: dt.date) -> Job:
    _require(user.is_bureau, _("无权发起资格评价"))
    version = selectors.version_on(policy, as_of)
    if version is None:
        raise ValidationError(_("政策“%(p)s”在 %(d)s 没有有效版本") % {"p": policy.name, "d": as_of})
    return jobs.start(
        kind="policy_eligibility",
        title=f"资格评价 {policy.name}（{as_of}）",
        user=user,
        func="kechuang.policies.services.eligibility_job",
        policy_id=policy.pk,
        as_of=as_of.isoformat(),
        user_id=user.pk,
    )


def eligibility_job(job: Job, policy_id: int, as_of: str, user_id: int | None = None) -> dict:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    run = run_eligibility(policy_id, dt.date.fromisoformat(as_of), user=user, job=job)
    return {"message": f"新增兑现资格 {run.created} 项", "url": f"/policies/runs/{run.pk}/"}


ENTITLEMENT_COLUMNS = [
    "policy_id",
    "version_id",
    "run_id",
    "enterprise_id",
    "as_of",
    "year",
    "decided_amount",
    "amount",
    "status",
    "stacked_by",
    "conditions",
    "facts",
    "gaps",
    "note",
    "created_at",
]
# What a run stores for each outcome of `funding.grant` (a firm already granted this year gets no new row).
OUTCOME_STATUS = {
    funding.NEW: Entitlement.Status.PENDING.value,
    funding.STACKED: Entitlement.Status.STACKED.value,
    funding.OUT_OF_BUDGET: Entitlement.Status.CANCELLED.value,
}
OUTCOME_NOTE = {
    funding.NEW: "",
    funding.STACKED: "同组政策从优、就高、不重复",
    funding.OUT_OF_BUDGET: "年度预算已分配完毕",
}
RESULT_COLUMNS = ["run_id", "enterprise_id", "eligible", "potential_amount", "failed", "missing", "gaps"]


def run_eligibility(policy_id, as_of: dt.date, user=None, job: Job | None = None) -> EligibilityRun:
    """Decide the policy version in force on `as_of` for every firm and create entitlements for the eligible
    ones (set-based), with their explanation and facts snapshot. What is granted is decided against the ledger
    (`loaders.ledger`) by `funding.grant` — the rule a simulation reports with, so the two agree: a firm that
    already holds an active entitlement of this policy for the payout year is not granted again, stacking
    (从优、就高、不重复) is applied against the firm's entitlements of the same group and year, and the yearly
    budget left is allocated with the version's method. Afterwards every approved or paid entitlement of the
    policy is re-checked (`check_clawbacks`). All its writes are one transaction (entitlements are a ledger the
    run reads as it writes): a run stopped at any chunk (`bulk.chunk_written`) leaves the previous runs' results
    in force."""
    if user is not None:
        _require(user.is_bureau, _("无权发起资格评价"))
    policy = _policy(policy_id)
    version = selectors.version_on(policy, as_of)
    if version is None:
        raise ValidationError(_("政策“%(p)s”在 %(d)s 没有有效版本") % {"p": policy.name, "d": as_of})
    typed = validate_version(version.value)
    year = as_of.year
    if job:
        jobs.report(job, 0, total=4, message="正在读取企业数据……")
    panel = loaders.panel(as_of)
    allocation = typed.budget.allocation
    before = loaders.ledger(policy, year, typed.stacking_group, allocation)
    sim = simulate(version.value, panel, as_of, tiers=loaders.tiers(), payouts=before.history, apply_budget=False)
    results = sim.policy_results(policy.code)
    if job:
        jobs.report(job, 1, message="正在核定兑现资格……")
    ids = pl.DataFrame(
        list(Enterprise.objects.values_list("uscc", "pk")), schema={"uscc": pl.Utf8, "eid": pl.Int64}, orient="row"
    )
    results = results.join(ids, on="uscc", how="inner")
    with transaction.atomic():
        # One run of a policy writes at a time, and reads the ledger only once it may: two runs started together
        # (a double submit) grant each firm once (the second sees the first's entitlements in `this_year`).
        Policy.objects.select_for_update().filter(pk=policy.pk).first()
        book = loaders.ledger(policy, year, typed.stacking_group, allocation)
        run = EligibilityRun.objects.create(
            policy=policy,
            version=version,
            as_of=as_of,
            year=year,
            firms=results.height,
            job=job,
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        ranks = sim.inputs[policy.code].select("uscc", allocation.rank_by) if allocation.rank_by else None
        decided, lost, _counts = funding.grant(
            results, book.budget, year, this_year=book.this_year, held=book.held, rank_values=ranks
        )
        eligible = decided.filter(pl.col("outcome") != funding.THIS_YEAR).with_columns(
            pl.col("outcome").replace_strict(OUTCOME_STATUS).alias("status"),
            pl.col("outcome").replace_strict(OUTCOME_NOTE).alias("note"),
        )
        losers = lost.select(pl.col("entitlement").alias("pk"), pl.lit(policy.code).alias("winner"))
        now = _now_db()
        rows = eligible.select(
            "eid",
            "amount_yuan",
            "granted_yuan",
            "status",
            pl.col("stacked_by").fill_null(""),
            pl.col("conditions").struct.json_encode(),
            pl.col("facts").struct.json_encode(),
            "gaps",
            "note",
        ).iter_rows()
        head = (policy.pk, version.pk, run.pk)
        bulk.insert_rows(
            Entitlement,
            ENTITLEMENT_COLUMNS,
            (
                (*head, eid, as_of, year, money.yuan_to_wan(decided), money.yuan_to_wan(granted), *rest, now)
                for eid, decided, granted, *rest in rows
            ),
            label="policies.eligibility",
        )
        pending = results.filter((pl.col("eligible") == UNKNOWN) | pl.col("short_of").is_not_null())
        bulk.insert_rows(
            EligibilityResult,
            RESULT_COLUMNS,
            (
                (run.pk, eid, e, money.yuan_to_wan(p) if p is not None else None, f, m, g)
                for eid, e, p, f, m, g in pending.select(
                    "eid", "eligible", "potential_amount_yuan", "failed", "missing", "gaps"
                ).iter_rows()
            ),
            label="policies.eligibility",
        )
        _stack_losers(losers, policy, user)
        created = run.entitlements.all()
        payable = created.exclude(status__in=[Entitlement.Status.STACKED, Entitlement.Status.CANCELLED])
        run.eligible = int((results["eligible"] == TRUE).sum())
        run.unknown = int((results["eligible"] == UNKNOWN).sum())
        run.created = payable.count()
        run.stacked = created.filter(status=Entitlement.Status.STACKED).count()
        run.total = payable.aggregate(s=Sum("amount"))["s"] or Decimal(0)
        if job:
            jobs.report(job, 2, message="正在核查已兑现企业……")
        run.flagged = check_clawbacks(policy, user=user)
        run.save()
        actor = user if getattr(user, "is_authenticated", False) else None
        audit.record_many(
            [
                AuditEvent(
                    actor=actor,
                    action="entitlement.create",
                    object_type="policies.entitlement",
                    object_id=str(pk),
                    enterprise_id=eid,
                    changes={"amount": [None, audit.jsonable(amount)]},
                    note=f"{policy.name} {version.key} 基准日 {as_of}（{Entitlement.Status(status).label}）",
                )
                for pk, eid, amount, status in created.values_list("pk", "enterprise_id", "amount", "status")
            ]
        )
        audit.record(
            actor=user,
            action="policy.eligibility_run",
            obj=run,
            note=f"{policy.name} {version.key} 基准日 {as_of}：新增 {run.created} 项，合计 {money_text(run.total)}",
        )
    if job:
        jobs.report(job, 4)
    return run


def _stack_losers(losers: pl.DataFrame, policy: Policy, user) -> None:
    if losers.is_empty():
        return
    pks = losers["pk"].to_list()
    events = [
        AuditEvent(
            actor=user if getattr(user, "is_authenticated", False) else None,
            action="entitlement.stacked",
            object_type="policies.entitlement",
            object_id=str(pk),
            enterprise_id=eid,
            changes={"status": [status, "stacked"], "amount": [audit.jsonable(a), "0"]},
            note=f"同组政策 {policy.code} 金额更高，从优、就高、不重复",
        )
        for pk, eid, status, a in Entitlement.objects.filter(pk__in=pks).values_list(
            "pk", "enterprise_id", "status", "amount"
        )
    ]
    Entitlement.objects.filter(pk__in=pks).update(
        status=Entitlement.Status.STACKED, amount=0, stacked_by=policy.code, note="同组政策从优、就高、不重复"
    )
    audit.record_many(events)


def check_clawbacks(policy: Policy, user=None) -> int:
    """Re-decide every active entitlement of the policy on today's facts, with its stored version and as-of
    date. Where the firm no longer qualifies: an approved or paid one is flagged in the claw-back ledger, a
    pending or confirmed one is cancelled. Returns how many were flagged or cancelled."""
    active = Entitlement.objects.filter(policy=policy, status__in=Entitlement.ACTIVE)
    groups = active.order_by().values_list("version_id", "as_of").distinct()
    touched = 0
    for version_pk, as_of in groups:
        version = RuleVersion.objects.get(pk=version_pk)
        group = list(
            active.filter(version_id=version_pk, as_of=as_of).values_list(
                "pk", "enterprise_id", "enterprise__uscc", "status", "amount"
            )
        )
        firms = Enterprise.objects.filter(pk__in=[g[1] for g in group])
        frame = loaders.panel(as_of, firms)
        # the entitlement under review is not "already received": leave it out of the history
        inputs = prepare_inputs(
            version.value,
            frame,
            as_of,
            loaders.tiers(),
            loaders.history([policy.code], exclude_ids=[g[0] for g in group]),
        )
        decided = dict(
            (u, (e, f))
            for u, e, f in decide(version.value, inputs, as_of).select("uscc", "eligible", "failed").iter_rows()
        )
        lost = [
            (pk, eid, status, amount, failed)
            for pk, eid, uscc, status, amount in group
            for outcome, failed in [decided.get(uscc, (UNKNOWN, ""))]
            if outcome == "false"
        ]
        touched += len(lost)
        _flag_or_cancel(lost, user)
    return touched


def _flag_or_cancel(lost: list[tuple], user) -> None:
    """Entitlements whose firm no longer qualifies, set-wise: an approved or paid one gets an open claw-back (once),
    a pending or confirmed one is cancelled; one audit event each."""
    if not lost:
        return
    actor = user if getattr(user, "is_authenticated", False) else None
    paid_states = (Entitlement.Status.APPROVED, Entitlement.Status.PAID)
    already_open = set(
        Clawback.objects.filter(
            entitlement_id__in=[x[0] for x in lost if x[2] in paid_states], status=Clawback.Status.OPEN
        ).values_list("entitlement_id", flat=True)
    )
    flags, cancelled, events = [], {}, []
    for pk, eid, status, amount, failed in lost:
        reason = _("企业不再符合条件：%(f)s") % {"f": failed}
        if status in paid_states:
            if pk not in already_open:
                flags.append(
                    (Clawback(entitlement_id=pk, amount=amount, reason=reason, failed=failed, flagged_by=actor), eid)
                )
        else:
            cancelled.setdefault(reason[:500], []).append(pk)
            events.append(
                audit.event(
                    actor=user,
                    action="entitlement.cancel",
                    obj=Entitlement(pk=pk),
                    enterprise=Enterprise(pk=eid),
                    changes={"status": [status, "cancelled"]},
                    note=reason,
                )
            )
    created = Clawback.objects.bulk_create([c for c, _eid in flags])
    for note, pks in cancelled.items():
        Entitlement.objects.filter(pk__in=pks).update(status=Entitlement.Status.CANCELLED, note=note)
    events += [
        audit.event(
            actor=user,
            action="clawback.flag",
            obj=c,
            enterprise=Enterprise(pk=eid),
            changes={"amount": [None, audit.jsonable(c.amount)]},
            note=c.reason,
        )
        for c, (_c, eid) in zip(created, flags, strict=True)
    ]
    audit.record_many(events)


def review_clawbacks(*, user, policy: Policy) -> int:
    """A bureau user re-checks a policy's entitlements on demand (the check itself is audited)."""
    _require(user.is_bureau, _("无权核查"))
    with transaction.atomic():
        n = check_clawbacks(policy, user=user)
        audit.record(actor=user, action="policy.clawback_check", obj=policy, note=f"复核完成：{n} 项不再符合条件")
    return n


# ---------------------------------------------------------------- entitlements and bank accounts


def confirm_entitlement(*, user, entitlement: Entitlement) -> Entitlement:
    """The firm (or bureau staff for it) confirms a pending entitlement."""
    own = user.role == "enterprise_user" and user.enterprise_id == entitlement.enterprise_id
    _require(user.is_bureau or own, _("无权确认该兑现资格"))
    with transaction.atomic():
        e = Entitlement.objects.select_for_update().get(pk=entitlement.pk)
        if e.status != Entitlement.Status.PENDING:
            raise ValidationError(_("只有“待确认”的兑现资格可以确认（当前：%(s)s）") % {"s": e.get_status_display()})
        e.status, e.confirmed_by, e.confirmed_at = Entitlement.Status.CONFIRMED, user, timezone.now()
        e.save(update_fields=["status", "confirmed_by", "confirmed_at"])
        audit.record(
            actor=user,
            action="entitlement.confirm",
            obj=e,
            enterprise=e.enterprise,
            changes={"status": ["pending", "confirmed"]},
            note=_("企业确认") if own else _("科技局代企业确认"),
        )
    return e


def save_bank_account(
    *, user, enterprise: Enterprise, account_name: str, bank_name: str, account_number: str
) -> BankAccount:
    """An enterprise user keeps its own firm's bank account on file (the number is masked in the audit)."""
    _require(
        user.role == "enterprise_user" and user.enterprise_id == enterprise.pk, _("只有本企业用户可以维护银行账户")
    )
    number = "".join(account_number.split())
    if not number.isdigit() or not 8 <= len(number) <= 30:
        raise ValidationError(_("银行账号应为 8–30 位数字"))
    with transaction.atomic():
        account = BankAccount.objects.filter(enterprise=enterprise).first()
        old = (
            {"account_name": account.account_name, "bank_name": account.bank_name, "account_number": account.masked}
            if account
            else {}
        )
        account = account or BankAccount(enterprise=enterprise)
        account.account_name, account.bank_name = account_name.strip(), bank_name.strip()
        account.account_number = number
        account.updated_by = user
        account.save()
        new = {"account_name": account.account_name, "bank_name": account.bank_name, "account_number": account.masked}
        audit.record(
            actor=user,
            action="bank_account.save",
            obj=account,
            enterprise=enterprise,
            changes=audit.diff(old, new, new),
        )
    return account


# ---------------------------------------------------------------- payout batches


def assemble_batch(*, user, policy: Policy, year: int, title: str = "", submit_token=None) -> PayoutBatch:
    """Collect the confirmed, unbatched entitlements of a policy and year whose firm has a bank account.

    Idempotent: assemblies of one policy queue on its row lock, so a second one sees the first one's batch
    (PostgreSQL re-reads after the lock; SQLite serialises writers), and the same form submitted twice
    (`submit_token`) returns the batch it already made instead of refusing."""
    _require(user.is_bureau, _("无权组建兑现批次"))
    with transaction.atomic():
        Policy.objects.select_for_update().filter(pk=policy.pk).first()
        if submit_token is not None:
            done = PayoutBatch.objects.filter(submit_token=submit_token).first()
            if done is not None:
                return done
        free = list(
            Entitlement.objects.select_for_update(of=("self",))
            .filter(
                policy=policy,
                year=year,
                status=Entitlement.Status.CONFIRMED,
                amount__gt=0,
                enterprise__bank_account__isnull=False,
            )
            .exclude(batch__status__in=[PayoutBatch.Status.DRAFT, PayoutBatch.Status.APPROVED, PayoutBatch.Status.PAID])
            .values_list("pk", "amount")
        )
        if not free:
            raise ValidationError(_("没有可纳入批次的兑现资格（需已确认、未纳入其他批次且企业已登记银行账户）"))
        total = sum((a for _, a in free), Decimal(0))
        number = PayoutBatch.objects.filter(policy=policy, year=year).count() + 1
        batch = PayoutBatch.objects.create(
            policy=policy,
            year=year,
            count=len(free),
            total=total,
            created_by=user,
            submit_token=submit_token,
            title=title.strip() or f"{policy.name} {year} 年度第 {number} 批",
        )
        Entitlement.objects.filter(pk__in=[pk for pk, _ in free]).update(batch=batch)
        audit.record(
            actor=user,
            action="batch.create",
            obj=batch,
            changes={"total": [None, audit.jsonable(total)], "count": [None, len(free)]},
            note=batch.title,
        )
    return batch


def approve_batch(*, user, batch_id: int) -> PayoutBatch:
    """The checker approves a batch: never the maker; the year's budget row is locked, and a batch that does
    not fit in what is left is refused with the reason (so concurrent approvals can never overspend)."""
    _require(user.can_admin, _("只有科技局管理员可以审批兑现批次"))
    with transaction.atomic():
        batch = PayoutBatch.objects.select_for_update(of=("self",)).select_related("policy").get(pk=batch_id)
        if batch.status != PayoutBatch.Status.DRAFT:
            raise ValidationError(_("该批次已处理（%(s)s），不能重复审批") % {"s": batch.get_status_display()})
        payouts.ensure_checker(batch.created_by_id, user)
        budget = Budget.objects.select_for_update().filter(policy=batch.policy, year=batch.year).first()
        # Entitlements may have been cancelled (claw-back check) or stacked away since the batch was assembled:
        # approve only a batch that is still exactly what the maker put together.
        live = batch.entitlements.select_for_update().filter(status=Entitlement.Status.CONFIRMED, amount__gt=0)
        live_count, live_total = live.count(), live.aggregate(s=Sum("amount"))["s"] or Decimal(0)
        if (live_count, live_total) != (batch.count, batch.total):
            reason = _("批次内兑现资格已变化（有企业被取消或从优调整），请重新组建批次")
        elif budget is None:
            reason = _("未设定 %(y)s 年度预算，不能审批") % {"y": batch.year}
        elif budget.committed + batch.total > budget.amount:
            reason = _("预算不足：%(y)s 年度预算 %(a)s，已审批 %(c)s，剩余 %(r)s，本批次 %(t)s") % {
                "y": batch.year,
                "a": money_exact_text(budget.amount),
                "c": money_exact_text(budget.committed),
                "r": money_exact_text(budget.available),
                "t": money_exact_text(batch.total),
            }
        else:
            reason = ""
        now = timezone.now()
        batch.approved_by, batch.approved_at = user, now
        if reason:
            batch.status, batch.reason = PayoutBatch.Status.REFUSED, reason
            batch.save(update_fields=["status", "reason", "approved_by", "approved_at"])
            audit.record(
                actor=user, action="batch.refuse", obj=batch, changes={"status": ["draft", "refused"]}, note=reason
            )
            return batch
        old_committed = budget.committed
        budget.committed = old_committed + batch.total
        budget.save(update_fields=["committed", "updated_at"])
        batch.status = PayoutBatch.Status.APPROVED
        batch.save(update_fields=["status", "approved_by", "approved_at"])
        live.update(status=Entitlement.Status.APPROVED)
        audit.record(
            actor=user, action="batch.approve", obj=batch, changes={"status": ["draft", "approved"]}, note=batch.title
        )
        audit.record(
            actor=user,
            action="budget.commit",
            obj=budget,
            changes={"committed": [audit.jsonable(old_committed), audit.jsonable(budget.committed)]},
            note=batch.title,
        )
    return batch


def refuse_batch(*, user, batch_id: int, reason: str) -> PayoutBatch:
    _require(user.can_admin, _("只有科技局管理员可以审批兑现批次"))
    if not reason.strip():
        raise ValidationError(_("请填写退回原因"))
    with transaction.atomic():
        batch = PayoutBatch.objects.select_for_update().get(pk=batch_id)
        if batch.status != PayoutBatch.Status.DRAFT:
            raise ValidationError(_("该批次已处理（%(s)s）") % {"s": batch.get_status_display()})
        payouts.ensure_checker(batch.created_by_id, user)
        batch.status, batch.reason, batch.approved_by, batch.approved_at = (
            PayoutBatch.Status.REFUSED,
            reason.strip()[:500],
            user,
            timezone.now(),
        )
        batch.save(update_fields=["status", "reason", "approved_by", "approved_at"])
        audit.record(
            actor=user, action="batch.refuse", obj=batch, changes={"status": ["draft", "refused"]}, note=batch.reason
        )
    return batch


def mark_paid(*, user, batch_id: int) -> PayoutBatch:
    """The treasury has paid an approved batch: its entitlements become paid and the budget's paid grows."""
    _require(user.is_bureau, _("无权登记兑现"))
    with transaction.atomic():
        batch = PayoutBatch.objects.select_for_update().get(pk=batch_id)
        if batch.status != PayoutBatch.Status.APPROVED:
            raise ValidationError(_("只有已审批的批次可以登记兑现（当前：%(s)s）") % {"s": batch.get_status_display()})
        # Maker–checker–payer: whoever assembled or approved the batch cannot also record it as paid.
        if user.pk in (batch.created_by_id, batch.approved_by_id):
            raise ValidationError(_("登记兑现的人不能是该批次的经办人或审批人（经办、审批、兑现登记须由三人分别完成）"))
        budget = Budget.objects.select_for_update().get(policy_id=batch.policy_id, year=batch.year)
        old_paid = budget.paid
        budget.paid = old_paid + batch.total
        budget.save(update_fields=["paid", "updated_at"])
        batch.status, batch.paid_by, batch.paid_at = PayoutBatch.Status.PAID, user, timezone.now()
        batch.save(update_fields=["status", "paid_by", "paid_at"])
        batch.entitlements.filter(status=Entitlement.Status.APPROVED).update(status=Entitlement.Status.PAID)
        audit.record(
            actor=user, action="batch.paid", obj=batch, changes={"status": ["approved", "paid"]}, note=batch.title
        )
        audit.record(
            actor=user,
            action="budget.pay",
            obj=budget,
            changes={"paid": [audit.jsonable(old_paid), audit.jsonable(budget.paid)]},
            note=batch.title,
        )
    return batch


def record_export(*, user, batch: PayoutBatch) -> None:
    _require(user.is_bureau, _("无权导出国库支付清单"))
    audit.record(actor=user, action="batch.export", obj=batch, note=_("导出国库支付清单"))


def resolve_clawback(*, user, clawback_id: int, status: str) -> Clawback:
    _require(user.can_admin, _("只有科技局管理员可以处理追回台账"))
    if status not in (Clawback.Status.RECOVERED, Clawback.Status.WAIVED):
        raise ValidationError(_("处理结果无效"))
    with transaction.atomic():
        c = Clawback.objects.select_for_update().get(pk=clawback_id)
        if c.status != Clawback.Status.OPEN:
            raise ValidationError(_("该记录已处理"))
        c.status, c.resolved_by, c.resolved_at = status, user, timezone.now()
        c.save(update_fields=["status", "resolved_by", "resolved_at"])
        audit.record(actor=user, action="clawback.resolve", obj=c, changes={"status": ["open", status]})
    return c
