"""Who may use which area of the platform: one table that the pages, the header menu and the API all read.

An area is a part of the platform a role may open (the firm list, the points leaderboard, the bank's
workbench). `AREAS` says, once, which roles open it; the rest follows from it:
- the header menu (`core.context.navigation`) lists the areas with a menu entry that the user may open;
- the pages check `allowed(user, key)` (directly, through `area_required`, or through the app's `can_*`
  selector, which reads this table) and answer 403 otherwise;
- the API operations check `api_allowed(user, *keys)` and answer 403 otherwise.
What a user may *do* inside an area (approve, edit, assign) stays with the finer flags (`User.can_admin`, the
services' checks); which *rows* they see stays with the selectors (`enterprises.selectors.enterprises_for`).

Adding an area (a new page with a menu entry, e.g. a bureau admin's settings page):
1. add an `Area` below, in menu order: `key`, `roles`, the menu `label` and the page's `url` name; list in
   `pages` other pages of the area, and in `api` the paths of its API operations;
2. guard the view with `@area_required("key")` (or `require(request.user, "key")`) and any API operation
   with `api_require(request.auth, "key")`;
3. `tests/accounts/test_access.py` then walks the new page and API paths for every role.
An area with no menu entry of its own (`label` None) names the `parent` whose entry leads to it; a page or
API path listed by several areas is open to whoever may open any of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from .models import Role

BUREAU = frozenset({Role.BUREAU_ADMIN, Role.BUREAU_STAFF})
PARK = frozenset({Role.PARK_OPERATOR})
FIRM = frozenset({Role.ENTERPRISE_USER})
BANK = frozenset({Role.BANK_USER})
INSTITUTION = frozenset({Role.INSTITUTION_USER})
AUDIT = frozenset({Role.AUDIT_ADMIN})
# Every role that works in the platform; the audit admin only reads the audit log.
WORKING = BUREAU | PARK | FIRM | BANK | INSTITUTION


@dataclass(frozen=True)
class Area:
    key: str
    roles: frozenset
    label: str | None = None  # the menu entry; None: reached from the parent's pages
    url: str | None = None  # the page the menu entry opens (a URL name without arguments)
    pages: tuple[str, ...] = ()  # other pages of the area (URL names)
    api: tuple[str, ...] = ()  # paths of its API operations, as the OpenAPI document writes them
    parent: str | None = None
    # A condition beyond the role (e.g. the firm holds a chain designation); rows are still the selectors'.
    needs: Callable | None = None


def _mapped_institution(user) -> bool:
    """An institution user reads the supply map and the needs once its organisation is a mapped institution."""
    if user.role != Role.INSTITUTION_USER:
        return True
    from kechuang.techtransfer.supplyselectors import own_institution

    return own_institution(user) is not None


def _designated(user) -> bool:
    from kechuang.chains.selectors import active_designations

    return active_designations().filter(enterprise_id=user.enterprise_id).exists()


AREAS: tuple[Area, ...] = (
    # The audit admin's home is the audit log (the home page sends it there).
    Area("home", WORKING | AUDIT, _("首页"), "core:home"),
    Area("enterprises", BUREAU | PARK | FIRM | INSTITUTION, _("企业库"), "enterprises:list", api=("/api/enterprises",)),
    Area("tiers", BUREAU | PARK, _("企业梯队"), "tiers:pipeline"),
    Area("import", BUREAU, _("数据导入"), "enterprises:import"),
    Area("submissions", BUREAU, _("待确认填报"), "enterprises:submissions"),
    Area("my_submissions", FIRM, _("我的填报"), "enterprises:submissions"),
    # Points: a firm's points and diagnosis for the bureau, park operators (their firms) and the firm itself.
    Area(
        "points",
        BUREAU | PARK | FIRM,
        _("创新积分"),
        "points:home",
        pages=("points:firm", "points:diagnosis", "points:diagnosis_pdf"),
        api=("/api/points/enterprises/{uscc}",),
    ),
    # The city-wide side of points: leaderboard, alert inbox (a park operator: its firms' alerts), the rules
    # that raise alerts, scoring runs and schemes. Starting runs, editing rules and handling alerts: bureau.
    Area(
        "points_board",
        BUREAU | PARK,
        pages=("points:leaderboard", "points:alerts", "points:alert_rules", "points:runs", "points:schemes"),
        api=("/api/points/leaderboard",),
        parent="points",
    ),
    Area(
        "policies", BUREAU | PARK, _("政策兑现"), "policies:list", api=("/api/policies", "/api/policies/entitlements")
    ),
    Area("policies_mine", FIRM, _("我的政策"), "policies:mine", api=("/api/policies/entitlements",)),
    Area(
        "finance_mine",
        FIRM,
        _("我的融资"),
        "finance:mine",
        pages=("finance:products",),
        api=(
            "/api/finance/products",
            "/api/finance/finder",
            "/api/finance/applications",
            "/api/finance/consents",
            "/api/finance/loans",
        ),
    ),
    Area(
        "finance",
        BUREAU,
        _("科技金融"),
        "finance:dashboard",
        pages=("finance:products",),
        api=(
            "/api/finance/products",
            "/api/finance/finder",
            "/api/finance/applications",
            "/api/finance/consents",
            "/api/finance/loans",
        ),
    ),
    Area(
        "bank",
        BANK,
        _("银行工作台"),
        "finance:bank",
        pages=("finance:products",),
        api=("/api/finance/products", "/api/finance/applications", "/api/finance/consents", "/api/finance/loans"),
    ),
    # The loan products on offer, for roles without a finance workbench (they advise firms on them).
    Area("finance_products", PARK | INSTITUTION, _("金融产品"), "finance:products", api=("/api/finance/products",)),
    Area(
        "challenges_board",
        BUREAU,
        _("揭榜挂帅"),
        "challenges:board",
        api=("/api/challenges", "/api/challenges/ledger"),
    ),
    Area(
        "challenges_portal",
        FIRM | INSTITUTION,
        _("揭榜挂帅"),
        "challenges:portal",
        api=("/api/challenges/applications",),
    ),
    # A firm's own issued challenges (the portal links to them).
    Area("challenges_issued", FIRM, api=("/api/challenges",), parent="challenges_portal"),
    # Roles without a part in challenges read the public list (it needs no sign-in).
    Area("challenges_public", PARK | BANK, _("揭榜挂帅"), "challenges:public_list"),
    Area("chains", BUREAU | PARK, _("产业链"), "chains:index", api=("/api/chains",)),
    Area(
        "carriers",
        BUREAU | PARK,
        _("载体"),
        "carriers:list",
        pages=("carriers:ranking", "carriers:applications"),
        api=("/api/carriers", "/api/carriers/ranking", "/api/carriers/applications"),
    ),
    Area("onestop", BUREAU | PARK, _("服务单"), "onestop:inbox", api=("/api/services/requests",)),
    Area("onestop_mine", BUREAU, _("我的企业"), "onestop:mine"),
    Area("onestop_firm", FIRM, _("企业服务"), "onestop:inbox", api=("/api/services/requests",)),
    Area("carriers_firm", FIRM, _("入驻申请"), "carriers:applications", api=("/api/carriers/applications",)),
    Area("chains_mine", FIRM, _("我的产业链"), "chains:mine", needs=_designated),
    Area(
        "techtransfer",
        BUREAU | INSTITUTION,
        _("技术合同"),
        "techtransfer:contracts",
        api=("/api/techtransfer/contracts",),
    ),
    # The supply map (藏宝图) and the enterprise needs: the bureau, firms, and institutions on the map.
    Area(
        "supply",
        BUREAU | INSTITUTION | FIRM,
        _("成果供给"),
        "techtransfer:supply",
        pages=("techtransfer:achievements",),
        api=("/api/techtransfer/achievements",),
        needs=_mapped_institution,
    ),
    # The firms ranked for an achievement (on its page): the bureau, and the institution that keeps it.
    Area(
        "achievement_firms",
        BUREAU | INSTITUTION,
        api=("/api/techtransfer/achievements/{achievement}/firms",),
        parent="supply",
        needs=_mapped_institution,
    ),
    # Importing an institution's records: those who keep an institution (the bureau any, an institution its own).
    Area(
        "supply_import",
        BUREAU | INSTITUTION,
        pages=(
            "techtransfer:achievement_import",
            "techtransfer:discipline_import",
            "techtransfer:platform_import",
            "techtransfer:team_import",
            "techtransfer:person_import",
        ),
        parent="supply",
        needs=_mapped_institution,
    ),
    Area(
        "needs",
        BUREAU | INSTITUTION | FIRM,
        _("技术需求"),
        "techtransfer:needs",
        api=("/api/techtransfer/needs",),
        needs=_mapped_institution,
    ),
    # Brokering: the cases (the bureau all, an institution its own, a firm its own), and the bureau's funnel,
    # technology managers, matchmaking events and opening of cases.
    Area(
        "cases",
        BUREAU | INSTITUTION | FIRM,
        _("对接案件"),
        "techtransfer:cases",
        api=("/api/techtransfer/cases",),
        needs=_mapped_institution,
    ),
    Area(
        "funnel",
        BUREAU,
        _("转化漏斗"),
        "techtransfer:funnel",
        pages=("techtransfer:managers", "techtransfer:events", "techtransfer:event_new", "techtransfer:case_new"),
    ),
    Area("rules", BUREAU, _("规则与参数"), "rules:index"),
    Area("audit", AUDIT | {Role.BUREAU_ADMIN}, _("操作日志"), "core:audit"),
    Area("users", frozenset({Role.BUREAU_ADMIN}), _("用户管理"), "accounts:users"),
    Area("api_docs", WORKING, _("API 文档"), "api:openapi-view"),
)
BY_KEY = {a.key: a for a in AREAS}


def _in_scope(user) -> bool:
    """A role scoped to an organisation or a firm opens nothing until the account has one."""
    if user.role == Role.ENTERPRISE_USER:
        return user.enterprise_id is not None
    if user.role in (Role.PARK_OPERATOR, Role.BANK_USER, Role.INSTITUTION_USER):
        return user.organisation_id is not None
    return True


def allowed(user, key: str) -> bool:
    """May `user` open the area `key`? (An unknown key is a programming error: KeyError.)"""
    area = BY_KEY[key]
    if not (user and user.is_authenticated and user.is_active) or user.role not in area.roles:
        return False
    return _in_scope(user) and (area.needs is None or bool(area.needs(user)))


def any_allowed(user, *keys: str) -> bool:
    return any(allowed(user, k) for k in keys)


def menu(user) -> list[tuple[str, str]]:
    """(label, URL name) of the menu entries the user may open, in table order."""
    return [(a.label, a.url) for a in AREAS if a.label and allowed(user, a.key)]


def require(user, *keys: str) -> None:
    """A page's check: 403 unless the user may open one of the areas."""
    if not any_allowed(user, *keys):
        raise PermissionDenied(_("无权访问该页面"))


def area_required(*keys: str):
    """View decorator: the view opens for users who may open one of the areas (403 otherwise)."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            require(request.user, *keys)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def api_require(user, *keys: str) -> None:
    """An API operation's check: 403 with a Chinese reason unless the user may open one of the areas."""
    from ninja.errors import HttpError

    if not any_allowed(user, *keys):
        raise HttpError(403, "无权使用该功能")
