"""Access-checked reads of points results and alerts.

Who sees what (decided conservatively; tests/points/test_permissions.py pins it):
- bureau admin / staff: everything — leaderboards, every firm page and diagnosis, the alert inbox, runs,
  schemes, the alert rules (only an admin adds a version of schemes or alert rules);
- park operator: the leaderboard restricted to its carriers' firms (ranks stay city-wide), their firm pages,
  diagnoses and alerts, exports and batch diagnoses of them, the alert rules (read-only: they explain the
  alerts it sees); no inbox, runs or schemes;
- enterprise user: its own firm's points page and diagnosis only; no leaderboard of others, no alerts;
- institution user: the points pages of the firms `enterprises_for` gives it (its spin-offs), no leaderboard;
- bank user: nothing here; a firm grants a bank consent to see its points in the finance app (finance.selectors).
Scoped rows always go through `enterprises_for(user)`; a denied firm is a 404.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, Exists, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone

from kechuang.accounts import access
from kechuang.core.models import Region
from kechuang.engine.points.alerts import ALERT_RULES, AlertRules
from kechuang.engine.ruledata import RuleDataError
from kechuang.enterprises.selectors import enterprises_for
from kechuang.rules import selectors as rule_selectors
from kechuang.tiers import selectors as tier_selectors
from kechuang.tiers.models import TierResult

from .models import Alert, PointsResult, ScoringRun

# The id of the monitoring rule set (rulesets/points/alerts/monitoring.yaml).
MONITORING = "monitoring"
SEVERITY_ORDER = Case(
    *(When(severity=s, then=Value(i)) for i, s in enumerate(("critical", "warning", "info"))),
    default=Value(9),
)
# A batch of diagnosis PDFs is a background job; this caps one job's size (about 4 minutes at 2 s a PDF).
BATCH_LIMIT = 500


def can_view_leaderboard(user) -> bool:
    """The city-wide points pages (leaderboard, alert inbox, alert rules, runs, schemes): the access table."""
    return access.allowed(user, "points_board")


def can_view_alerts(user) -> bool:
    """Alerts on a firm page: bureau and park operators (for the firms they see)."""
    return can_view_leaderboard(user)


def can_view_alert_rules(user) -> bool:
    """The alert rules page: whoever sees alerts may read the rules that raise them."""
    return can_view_alerts(user)


def alert_rules(as_of: dt.date | None = None) -> AlertRules:
    """The monitoring rule set in force on `as_of` (default today): the latest version, shipped or the
    bureau's, whose date is not after it. The rules are the bureau's own, so a date before the first version
    (an old year scored today) is monitored with the first version."""
    try:
        return rule_selectors.rule_in_force(ALERT_RULES.id, MONITORING, as_of or timezone.localdate())
    except RuleDataError:
        return rule_selectors.all_versions(ALERT_RULES.id, MONITORING)[0]


def alert_params(ruleset: AlertRules, as_of: dt.date):
    """The rule set's parameter values in force on `as_of`, the bureau's changed values included."""
    return ruleset.params(as_of, rule_selectors.overrides(ALERT_RULES.id, ruleset.id))


def alert_rule_versions() -> list[AlertRules]:
    """Every version of the alert rules, shipped and the bureau's, newest date first."""
    return list(reversed(rule_selectors.all_versions(ALERT_RULES.id, MONITORING)))


def alert_rule_records() -> dict:
    """The bureau's stored versions by key (who saved them, when, why), for the version list."""
    return {
        f"{MONITORING}@{v.effective_from.isoformat()}": v
        for v in rule_selectors.published(ALERT_RULES.id, MONITORING).filter(parameter="").select_related("created_by")
    }


def runs() -> QuerySet[ScoringRun]:
    return ScoringRun.objects.filter(status=ScoringRun.Status.DONE).order_by("-year", "-as_of", "-created_at")


def latest_run(scheme_id: str | None = None) -> ScoringRun | None:
    qs = runs()
    return (qs.filter(scheme_id=scheme_id) if scheme_id else qs).first()


def results_for(user) -> QuerySet[PointsResult]:
    """Results of completed runs only: a run still writing (or stopped half-way) is nobody's to read."""
    done = PointsResult.objects.filter(run__status=ScoringRun.Status.DONE)
    if user and user.is_authenticated and user.is_active and user.is_bureau:
        # The bureau sees every firm (enterprises_for): no IN over the whole registry, which at a million firms
        # would stop the leaderboard from walking the (run, rank) index.
        return done
    return done.filter(enterprise__in=enterprises_for(user))


def leaderboard(user, run: ScoringRun, filters: dict) -> QuerySet[PointsResult]:
    """Scored results of `run` the user may see, filtered; ordered by rank then USCC."""
    qs = results_for(user).filter(run=run, points__isnull=False)
    if filters.get("stage"):
        qs = qs.filter(stage=filters["stage"])
    if filters.get("industry"):
        qs = qs.filter(industry_code__startswith=filters["industry"])
    if filters.get("region"):
        # A province or city code matches every county below it (codes share their prefix).
        code = filters["region"]
        level = Region.objects.filter(code=code).values_list("level", flat=True).first()
        prefix = {1: code[:2], 2: code[:4]}.get(level)
        qs = qs.filter(region_code__startswith=prefix) if prefix else qs.filter(region_code=code)
    if filters.get("carrier"):
        qs = qs.filter(carrier=filters["carrier"])
    if filters.get("list"):
        qs = qs.filter(list_id=filters["list"])
    if filters.get("tier"):
        tier_run = tier_selectors.latest_run()
        qualified = TierResult.objects.filter(
            run=tier_run, enterprise=OuterRef("enterprise"), tier=filters["tier"], qualified="true"
        )
        qs = qs.filter(Exists(qualified))
    if filters.get("q"):
        text = filters["q"].strip()
        # USCCs are stored in capitals: a case-sensitive prefix can use the USCC's pattern index (and the name's
        # trigram index the other half of the OR); a case-insensitive one would scan every firm.
        qs = qs.filter(Q(enterprise__name__icontains=text) | Q(enterprise__uscc__startswith=text.upper()))
    return qs.order_by("rank", "enterprise__uscc")


def history(enterprise, scheme_id: str) -> list[PointsResult]:
    """The firm's results of the latest run per year of `scheme_id`, oldest year first (one query)."""
    rows = (
        PointsResult.objects.filter(enterprise=enterprise, run__scheme_id=scheme_id, run__status=ScoringRun.Status.DONE)
        .select_related("run")
        .order_by("run__year", "-run__as_of", "-run__created_at")
    )
    by_year: dict[int, PointsResult] = {}
    for r in rows:
        by_year.setdefault(r.run.year, r)
    return [by_year[y] for y in sorted(by_year)]


def alerts_inbox(user) -> QuerySet[Alert]:
    """The alert inbox: the bureau's holds every alert, a park operator's its firms' alerts; other roles none."""
    if not can_view_alerts(user):
        return Alert.objects.none()
    qs = Alert.objects.all() if user.is_bureau else Alert.objects.filter(enterprise__in=enterprises_for(user))
    return qs.select_related("enterprise", "assignee", "acknowledged_by").order_by(
        "-status", SEVERITY_ORDER, "-year", "enterprise__uscc", "rule"
    )


def alerts_for_enterprise(user, enterprise) -> QuerySet[Alert]:
    if not can_view_alerts(user) or not enterprises_for(user).filter(pk=enterprise.pk).exists():
        return Alert.objects.none()
    return Alert.objects.filter(enterprise=enterprise).order_by("-year", "-status", SEVERITY_ORDER)
