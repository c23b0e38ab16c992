"""Template context shared by every page: the navigation the current user may see."""

from django.urls import reverse
from django.utils.translation import gettext as _


def _chains_and_services(user) -> list:
    """产业链, 载体, 服务单 and 我的企业 for the roles that use them; a 链主/链核 firm's user gets 我的产业链."""
    from kechuang.chains.selectors import active_designations

    items = []
    if user.is_bureau or user.role == "park_operator":
        items += [
            (_("产业链"), reverse("chains:index")),
            (_("载体"), reverse("carriers:list")),
            (_("服务单"), reverse("onestop:inbox")),
        ]
    if user.is_bureau:
        items.append((_("我的企业"), reverse("onestop:mine")))
    if user.role == "enterprise_user" and user.enterprise_id:
        items.append((_("企业服务"), reverse("onestop:inbox")))
        if active_designations().filter(enterprise_id=user.enterprise_id).exists():
            items.append((_("我的产业链"), reverse("chains:mine")))
    return items


def _supply(user) -> list:
    """成果供给图谱 and 技术需求 for the bureau, an institution user of a mapped institution, a firm's user."""
    from kechuang.techtransfer.supplyselectors import can_view_supply

    if not can_view_supply(user):
        return []
    return [(_("成果供给"), reverse("techtransfer:supply")), (_("技术需求"), reverse("techtransfer:needs"))]


def navigation(request):  # noqa: C901
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {"nav": []}
    if user.is_audit_admin:  # reads the audit log and changes nothing else
        return {"nav": [(_("操作日志"), reverse("core:audit"))]}
    items = [(_("首页"), reverse("core:home")), (_("企业库"), reverse("enterprises:list"))]
    if user.is_bureau or user.role == "park_operator":
        items.append((_("企业梯队"), reverse("tiers:pipeline")))
    if user.can_import:
        items.append((_("数据导入"), reverse("enterprises:import")))
    if user.can_confirm_figures:
        items.append((_("待确认填报"), reverse("enterprises:submissions")))
    if user.is_bureau or user.role in ("park_operator", "enterprise_user"):
        items.append((_("创新积分"), reverse("points:home")))
    if user.is_bureau or user.role == "park_operator":
        items.append((_("政策兑现"), reverse("policies:list")))
    if user.role == "enterprise_user":
        items.append((_("我的政策"), reverse("policies:mine")))
        items.append((_("我的融资"), reverse("finance:mine")))
    if user.is_bureau:
        items.append((_("科技金融"), reverse("finance:dashboard")))
    if user.role == "bank_user":
        items.append((_("银行工作台"), reverse("finance:bank")))
    if user.is_bureau:
        items.append((_("揭榜挂帅"), reverse("challenges:board")))
    elif user.role in ("enterprise_user", "institution_user"):
        items.append((_("揭榜挂帅"), reverse("challenges:portal")))
    else:
        items.append((_("揭榜挂帅"), reverse("challenges:public_list")))
    items.extend(_chains_and_services(user))
    if user.is_bureau or user.role == "institution_user":
        items.append((_("技术合同"), reverse("techtransfer:contracts")))
    items.extend(_supply(user))
    if user.is_bureau:
        items.append((_("规则与参数"), reverse("rules:index")))
    if user.can_read_audit:
        items.append((_("操作日志"), reverse("core:audit")))
    if user.can_manage_users:
        items.append((_("用户管理"), reverse("accounts:users")))
    items.append((_("API 文档"), reverse("api:openapi-view")))
    return {"nav": items}
