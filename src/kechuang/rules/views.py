"""The rule pages: every kind of rule, its documents and parameters in force, and a typed form for a new value.

Bureau users read them; only a bureau admin adds a version (the service checks it again).
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kechuang.accounts import access
from kechuang.engine.ruledata import RuleDataError, in_force, kinds
from kechuang.engine.ruledata import kind as rule_kind
from kechuang.engine.ruledata.params import VERIFICATIONS

from . import editors, region, selectors, services
from .forms import RegionProfileForm, VersionForm

# Kinds whose whole documents (not only parameters) are edited on a page of their own app: kind → URL name.
DOCUMENT_EDITORS = {"alert_rules": "points:alert_rules", "points_scheme": "points:schemes"}
# Kinds each of whose rules has a page of its own app (versions, drafts, editor, simulation): kind → URL name
# taking the rule id. The rule pages list them and link there rather than show a second editor.
RULE_PAGES = {"policies": "policies:detail"}
# Kinds whose parameters are edited on a page of their own app (tiers: band tables edited as rows): kind → URL
# name of that editor, which takes `parameter=<rule id>:<parameter>`. The rule pages' "调整" goes there, so each
# parameter has one editor.
PARAMETER_EDITORS = {"tiers": "tiers:parameters"}


def _rule_page(kind_id: str, rule_id: str) -> str:
    page = RULE_PAGES.get(kind_id)
    return reverse(page, args=[rule_id]) if page else reverse("rules:detail", args=[kind_id, rule_id])


def _parameter_editor(kind_id: str, rule_id: str, parameter: str) -> str:
    page = PARAMETER_EDITORS.get(kind_id)
    if page is None:
        return reverse("rules:edit", args=[kind_id, rule_id, parameter])
    return f"{reverse(page)}?{urlencode({'parameter': f'{rule_id}:{parameter}'})}#new-version"


def _require_bureau(user) -> None:
    if not access.allowed(user, "rules"):
        raise PermissionDenied(_("规则与参数只对科技局开放"))


def _shown(versions: list, today):
    """The version a rule page shows: the one in force today, else the next to come, else the last one (a rule
    whose every version has ended, like a tier's 2022 text replaced by another rule set)."""
    current = in_force(versions, today)
    upcoming = next((d for d in versions if d.effective_from > today), None)
    return current or upcoming or versions[-1], current is not None


def _kind_or_404(kind_id: str):
    try:
        return rule_kind(kind_id)
    except RuleDataError:
        raise Http404(_("没有这类规则")) from None


@login_required
def index(request):
    _require_bureau(request.user)
    today = timezone.localdate()
    groups: dict[str, list] = {}
    for k in kinds():
        for rule_id in selectors.rule_ids(k.id):
            versions = selectors.all_versions(k.id, rule_id)
            if not versions:  # only a copy of a shipped file no longer shipped: nothing to show
                continue
            doc, current = _shown(versions, today)
            groups.setdefault(k.domain or k.label, []).append(
                {
                    "kind": k,
                    "rule_id": rule_id,
                    "link": _rule_page(k.id, rule_id),
                    "doc": doc,
                    "in_force": current,
                    "ended": not current and doc.effective_from <= today,
                    "versions": len(versions),
                    "changed": selectors.bureau_changes(k.id, rule_id),
                }
            )
    return render(request, "rules/index.html", {"groups": groups, "today": today})


@login_required
def detail(request, kind, rule_id):
    _require_bureau(request.user)
    k = _kind_or_404(kind)
    if k.id in RULE_PAGES:
        return redirect(_rule_page(k.id, rule_id))
    today = timezone.localdate()
    versions = selectors.all_versions(k.id, rule_id)
    if not versions:
        raise Http404(_("没有这条规则"))
    doc, _current = _shown(versions, today)
    on = min(max(today, doc.effective_from), doc.effective_to or dt.date.max)
    values = doc.params(on, selectors.overrides(k.id, rule_id))
    rows = [
        {
            "name": name,
            "label": p.label,
            "unit": p.unit,
            "value": editors.display(values[name], p.unit),
            "version": values.version(name),
            "verified": VERIFICATIONS.get(values.version(name).verified, ""),
            "edit": _parameter_editor(k.id, rule_id, name),
        }
        for name, p in doc.parameters.items()
    ]
    history = list(
        selectors.published(k.id, rule_id).exclude(parameter="").select_related("created_by").order_by("-created_at")
    )
    for v in history:
        p = doc.parameters.get(v.parameter)
        v.label = p.label if p else v.parameter
        v.shown = _change(v, p.unit if p else "")
    editor = DOCUMENT_EDITORS.get(k.id)
    return render(
        request,
        "rules/detail.html",
        {
            "kind": k,
            "doc": doc,
            "versions": versions,
            "rows": rows,
            "on": on,
            "history": history,
            "editor": reverse(editor) if editor else None,
        },
    )


def _change(version, unit: str) -> str:
    return f"{editors.display(version.previous, unit)} → {editors.display(version.value, unit)}"


@login_required
def edit(request, kind, rule_id, parameter):
    _require_bureau(request.user)
    if not request.user.can_admin:
        raise PermissionDenied(_("只有科技局管理员可以调整规则参数"))
    k = _kind_or_404(kind)
    if k.id in PARAMETER_EDITORS:
        return redirect(_parameter_editor(k.id, rule_id, parameter))
    today = timezone.localdate()
    try:
        doc = selectors.rule_in_force(k.id, rule_id, today)
    except RuleDataError:
        versions = selectors.all_versions(k.id, rule_id)
        if not versions:
            raise Http404(_("没有这条规则")) from None
        doc = versions[-1]
    if parameter not in doc.parameters:
        raise Http404(_("没有这个参数"))
    on = max(today, doc.effective_from)
    current = doc.params(on, selectors.overrides(k.id, rule_id))[parameter]
    spec = doc.parameters[parameter]
    form = VersionForm(request.POST or None, initial={"effective_from": on})
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            value = editors.read(current, request.POST)
            services.add_parameter_version(
                user=request.user,
                kind=k.id,
                rule_id=rule_id,
                parameter=parameter,
                value=value,
                effective_from=form.cleaned_data["effective_from"],
                source=form.cleaned_data["source"],
                note=form.cleaned_data["note"],
            )
        except (ValueError, ValidationError) as exc:
            error = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
        else:
            messages.success(
                request,
                _("已保存“%(p)s”的新取值，自 %(d)s 起生效。")
                % {"p": spec.label, "d": f"{form.cleaned_data['effective_from']:%Y-%m-%d}"},
            )
            return redirect("rules:detail", kind=k.id, rule_id=rule_id)
    return render(
        request,
        "rules/edit.html",
        {
            "kind": k,
            "doc": doc,
            "parameter": spec,
            "current": editors.display(current, spec.unit),
            "form": form,
            "editor": editors.editor(current, request.POST if request.method == "POST" else None),
            "error": error,
            "history": [
                setattr(v, "shown", _change(v, spec.unit)) or v for v in selectors.history(k.id, rule_id, parameter)
            ],
        },
    )


@login_required
def region_profile(request):
    """The bureau admin sets the region profile (name, code, local tier variants, products, waivers)."""
    if not request.user.can_admin:
        raise PermissionDenied(_("只有科技局管理员可以设置地区配置"))
    today = timezone.localdate()
    current = region.profile()
    choices = {
        "variants": region.variant_choices(today),
        "products": region.product_choices(today),
        "waivers": region.waiver_choices(),
    }
    initial = {}
    if current:
        initial = {"name": current.name, "code": current.code, "products": current.products, "waivers": current.waivers}
        initial.update({f"variant_{t}": v for t, v in current.tier_variants.items()})
    form = RegionProfileForm(request.POST or None, initial=initial, **choices)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            region.save_profile(
                user=request.user,
                name=form.cleaned_data["name"],
                code=form.cleaned_data["code"],
                tier_variants=form.tier_variants(),
                products=form.cleaned_data["products"],
                waivers=form.cleaned_data["waivers"],
                on=today,
            )
        except ValidationError as exc:
            error = "；".join(exc.messages)
        else:
            messages.success(request, _("已保存地区配置。"))
            return redirect("rules:region")
    return render(
        request,
        "rules/region.html",
        {"form": form, "profile": current, "error": error, "single": region.single_local_rules(today)},
    )
