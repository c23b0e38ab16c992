"""Access-checked reads of the policy app.

Who sees what:
- bureau admin / staff: the library, simulations, runs, every entitlement, batches, budgets, the claw-back ledger;
- park operator: the library (read only) and, read only, the entitlements of firms resident in its carriers
  (the enterprises it may see through `enterprises_for`); no batches, budgets or ledger;
- enterprise user: its own firm's entitlements and near misses (我的政策) and its own bank account;
- bank user, institution user: nothing.
A denied detail is a 404, as for enterprises.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext

from kechuang.accounts import access
from kechuang.engine.policies import replay as engine_replay
from kechuang.engine.policies.evaluate import TRUE
from kechuang.enterprises.selectors import enterprises_for
from kechuang.rules.models import RuleVersion

from . import sources
from .models import RULE_KIND, Clawback, EligibilityResult, EligibilityRun, Entitlement, PayoutBatch, Policy


def can_read_library(user) -> bool:
    """The policy pages (library, entitlements, batches): the "policies" area of the access table."""
    return access.allowed(user, "policies")


def can_see_entitlements(user) -> bool:
    return access.allowed(user, "policies")


def policies() -> QuerySet[Policy]:
    return Policy.objects.all()


def stacking_label(policy: Policy) -> str:
    """A policy's stacking group as readers see it: the other policies it is weighed against (从优、就高、不重复),
    by name, not the group's code; empty when the policy stacks with nothing."""
    if not policy.stacking_group:
        return ""
    others = (
        Policy.objects.filter(stacking_group=policy.stacking_group)
        .exclude(pk=policy.pk)
        .order_by("name")
        .values_list("name", flat=True)
    )
    if not others:
        return gettext("同组暂无其他政策")
    return gettext("与%(names)s从优就高") % {"names": "、".join(others)}


def versions(policy: Policy) -> QuerySet[RuleVersion]:
    """Every version of a policy, drafts included (rules.RuleVersion, kind `policies`)."""
    return RuleVersion.objects.filter(kind=RULE_KIND, rule_id=policy.code, parameter="")


def published(policy: Policy) -> QuerySet[RuleVersion]:
    return versions(policy).filter(status=RuleVersion.Status.PUBLISHED)


def version(pk: int) -> RuleVersion:
    """One policy version by its row (a 404 for any other kind's)."""
    found = RuleVersion.objects.filter(kind=RULE_KIND, parameter="", pk=pk).first()
    if found is None:
        raise Http404("政策版本不存在")
    return found


def policy_of(version: RuleVersion) -> Policy:
    return Policy.objects.get(code=version.rule_id)


def version_on(policy: Policy, as_of: dt.date) -> RuleVersion | None:
    """The published version in force on `as_of`: the latest start on or before it, unless it has ended."""
    found = published(policy).filter(effective_from__lte=as_of).order_by("-effective_from").first()
    if found is None or (found.effective_to is not None and found.effective_to < as_of):
        return None
    return found


def in_force_today(published_versions: list[RuleVersion], today: dt.date) -> RuleVersion | None:
    """Of a policy's published versions (oldest first), the one in force on `today` (list and API read many)."""
    started = [v for v in published_versions if v.effective_from <= today]
    if started and (started[-1].effective_to is None or started[-1].effective_to >= today):
        return started[-1]
    return None


def published_by_code() -> dict[str, list[RuleVersion]]:
    """Every policy's published versions, oldest first, in one query (the library list and the API)."""
    out: dict[str, list[RuleVersion]] = {}
    for v in (
        RuleVersion.objects.filter(kind=RULE_KIND, parameter="", status=RuleVersion.Status.PUBLISHED)
        .order_by("effective_from", "pk")
        .defer("value", "previous")
    ):
        out.setdefault(v.rule_id, []).append(v)
    return out


def entitlements_for(user) -> QuerySet[Entitlement]:
    qs = Entitlement.objects.select_related("policy", "enterprise", "version")
    if not user or not user.is_authenticated:
        return qs.none()
    if user.is_bureau:
        return qs
    if user.role == "park_operator" or (user.role == "enterprise_user" and user.enterprise_id):
        return qs.filter(enterprise__in=enterprises_for(user))
    return qs.none()


def entitlement_for(user, pk: int) -> Entitlement:
    e = entitlements_for(user).filter(pk=pk).first()
    if e is None:
        raise Http404("兑现资格不存在或无权查看")
    return e


def batches_for(user) -> QuerySet[PayoutBatch]:
    if not user.is_authenticated or not user.is_bureau:
        return PayoutBatch.objects.none()
    return PayoutBatch.objects.select_related("policy", "created_by", "approved_by")


def clawbacks_for(user) -> QuerySet[Clawback]:
    if not user.is_authenticated or not user.is_bureau:
        return Clawback.objects.none()
    return Clawback.objects.select_related("entitlement__enterprise", "entitlement__policy")


def portal(user) -> dict:
    """我的政策 of an enterprise user's own firm: entitlements by stage and the latest near misses."""
    if user.role != "enterprise_user" or not user.enterprise_id:
        return {}
    mine = entitlements_for(user).filter(enterprise_id=user.enterprise_id).order_by("-year", "policy__code")
    latest_runs = {}
    for run in EligibilityRun.objects.order_by("-created_at").only("pk", "policy_id"):
        latest_runs.setdefault(run.policy_id, run.pk)
    near = list(
        EligibilityResult.objects.filter(enterprise_id=user.enterprise_id, run_id__in=latest_runs.values())
        .select_related("run__policy", "run__version")
        .order_by("run__policy__code")
    )
    figure_years = set(user.enterprise.figures.values_list("year", flat=True))
    for n in near:
        # what the firm can fill in (with the year of figures the policy read), and which records lack the rest
        n.enter, n.records = sources.split_missing(n.missing)
        last = (n.run.version.value or {}).get("facts_year") == "last"
        n.facts_year = n.run.as_of.year - 1 if last else n.run.as_of.year
        n.has_figures = n.facts_year in figure_years
    return {
        "pending": [e for e in mine if e.status == Entitlement.Status.PENDING],
        "granted": [e for e in mine if e.status in (Entitlement.Status.CONFIRMED, Entitlement.Status.APPROVED)],
        "paid": [e for e in mine if e.status == Entitlement.Status.PAID],
        "other": [e for e in mine if e.status in (Entitlement.Status.STACKED, Entitlement.Status.CANCELLED)],
        "near": near,
    }


def replay(entitlement: Entitlement) -> dict:
    """Decide again from the stored version dict, the stored facts snapshot and the original as-of date."""
    frame = pl.DataFrame({"uscc": [entitlement.enterprise.uscc], "facts_json": [_json_text(entitlement.facts)]})
    row = engine_replay(entitlement.version.value, frame, entitlement.as_of).row(0, named=True)
    amount = row["amount"]
    return {
        "version_id": entitlement.version.key,
        "as_of": entitlement.as_of.isoformat(),
        "eligible": row["eligible"],
        "amount": str(amount) if amount is not None else None,
        "stored_amount": str(entitlement.decided_amount),
        "same": row["eligible"] == TRUE and amount is not None and amount == entitlement.decided_amount,
        "failed": row["failed"],
    }


def _json_text(value) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def search(qs, q: str):
    if q:
        qs = qs.filter(Q(enterprise__name__icontains=q) | Q(enterprise__uscc__iexact=q.upper()))
    return qs
