"""Forms of the challenge pages. Repeated rows (indicators, milestones, members, a plan) are posted as
`prefix-N-field` inputs and read with `rows()`; the services check every value again and name the row."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kechuang.core.forms import DateInput, Form
from kechuang.engine.challenges import lifecycle
from kechuang.techtransfer.supplymodels import Need

from .models import Challenge, Indicator

OPEN_NEEDS = (Need.Status.OPEN, Need.Status.MATCHING)

DATE = DateInput()
ROWS = {"indicators": 6, "milestones": 6, "members": 10, "plan": 6}


def rows(data, prefix: str, fields: tuple[str, ...], n: int | None = None) -> list[dict]:
    """The posted rows `prefix-0-name`, `prefix-1-name`, … as dicts (blank rows included; services skip them)."""
    n = n or ROWS.get(prefix, 6)
    out = []
    for i in range(n):
        row = {f: data.get(f"{prefix}-{i}-{f}", "") for f in fields}
        if any(str(v).strip() for v in row.values()):
            out.append(row)
    return out


def padded(items: list[dict], prefix: str) -> list[dict]:
    """Rows to show in a form: the given ones, then blank ones up to the form's size."""
    return [*items, *({} for _ in range(max(ROWS.get(prefix, 6) - len(items), 0)))]


class IntakeForm(Form):
    title = forms.CharField(label=_("需求名称"), max_length=200)
    field = forms.CharField(label=_("技术领域"), max_length=100, required=False)
    origin = forms.ChoiceField(label=_("需求来源"), choices=Challenge.Origin.choices)
    origin_department = forms.CharField(label=_("征集部门"), max_length=100, required=False)
    techtransfer_need = forms.ModelChoiceField(
        label=_("技术需求"),
        queryset=Need.objects.none(),
        required=False,
        help_text=_("来源为技术转移需求库时选择（征集中或对接中的需求；须为发榜企业发布的需求）"),
    )
    issuer_uscc = forms.CharField(label=_("发榜企业统一社会信用代码"), max_length=18, required=False)
    issuer_contact = forms.CharField(label=_("企业联系人"), max_length=100, required=False)
    need_text = forms.CharField(label=_("需求描述"), widget=forms.Textarea(attrs={"rows": 4}))
    collected_on = forms.DateField(label=_("征集日期"), widget=DATE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The open needs, labelled by firm so that staff find the issuer's; filled here, not at import, so the
        # list is read when the page is.
        field = self.fields["techtransfer_need"]
        field.queryset = (
            Need.objects.filter(status__in=OPEN_NEEDS).select_related("enterprise").order_by("enterprise__name", "pk")
        )
        field.label_from_instance = lambda n: f"{n.enterprise.name} · {n.title}（{n.get_status_display()}）"

    def clean(self):
        data = super().clean()
        need, uscc = data.get("techtransfer_need"), (data.get("issuer_uscc") or "").strip().upper()
        if need is not None:
            if data.get("origin") != Challenge.Origin.TECHTRANSFER_NEED:
                self.add_error("origin", _("选择了技术需求时，需求来源应为「技术转移需求库」"))
            if uscc and need.enterprise.uscc != uscc:
                self.add_error(
                    "techtransfer_need",
                    _("所选技术需求是「%(firm)s」发布的，不是发榜企业的需求") % {"firm": need.enterprise.name},
                )
        return data


class VisitForm(Form):
    visited_on = forms.DateField(label=_("走访日期"), widget=DATE)
    visitors = forms.CharField(label=_("走访人员"), max_length=200)
    findings = forms.CharField(label=_("走访情况"), widget=forms.Textarea(attrs={"rows": 3}))
    recommendation = forms.CharField(label=_("审核意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class DraftForm(Form):
    title = forms.CharField(label=_("榜单名称"), max_length=200)
    field = forms.CharField(label=_("技术领域"), max_length=100, required=False)
    goals = forms.CharField(label=_("攻关目标"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    budget = forms.CharField(label=_("榜单总额（万元）"), required=False)
    issuer_funding = forms.CharField(label=_("发榜企业自筹（万元）"), required=False)
    deadline = forms.CharField(label=_("揭榜截止日期"), required=False, widget=DATE)
    completion_due = forms.CharField(label=_("完成期限"), required=False, widget=DATE)
    ip_ownership = forms.ChoiceField(
        label=_("知识产权归属"), required=False, choices=[("", "—"), *lifecycle.IP_OWNERSHIP.items()]
    )
    licence_back = forms.ChoiceField(
        label=_("许可使用约定"), required=False, choices=[("", "—"), *lifecycle.LICENCE_BACK.items()]
    )
    publication = forms.ChoiceField(
        label=_("成果发表约定"), required=False, choices=[("", "—"), *lifecycle.PUBLICATION.items()]
    )
    ip_note = forms.CharField(label=_("知识产权补充约定"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    race = forms.BooleanField(label=_("赛马制（多支团队平行攻关）"), required=False)
    max_teams = forms.IntegerField(label=_("最多平行团队数"), required=False, min_value=1, max_value=10)


class BureauDraftForm(DraftForm):
    issuer_uscc = forms.CharField(label=_("发榜企业统一社会信用代码"), max_length=18, required=False)
    issuer_contact = forms.CharField(label=_("企业联系人"), max_length=100, required=False)
    pool = forms.TypedChoiceField(label=_("资金池"), required=False, coerce=int, empty_value=None)


class MoveForm(Form):
    target = forms.ChoiceField(choices=list(lifecycle.STAGES.items()))
    reason = forms.CharField(label=_("说明"), required=False, max_length=1000)
    on = forms.DateField(label=_("日期"), required=False, widget=DATE)


class ApplicationForm(Form):
    team_name = forms.CharField(label=_("团队名称"), max_length=200)
    leader = forms.CharField(label=_("团队负责人"), max_length=64)
    contact = forms.CharField(label=_("联系方式"), max_length=100)
    plan = forms.CharField(label=_("技术方案"), widget=forms.Textarea(attrs={"rows": 5}))
    budget_requested = forms.CharField(label=_("申请经费（万元）"))
    declared_credit = forms.BooleanField(label=_("承诺牵头单位和团队成员无严重失信记录"), required=False)


class ObjectionForm(Form):
    name = forms.CharField(label=_("姓名"), max_length=64)
    organisation = forms.CharField(label=_("单位"), max_length=200, required=False)
    contact = forms.CharField(label=_("联系方式"), max_length=100)
    application = forms.TypedChoiceField(label=_("涉及团队"), required=False, coerce=int, empty_value=None)
    text = forms.CharField(label=_("异议内容"), widget=forms.Textarea(attrs={"rows": 4}))


class TextForm(Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))


class PanelForm(Form):
    deadline = forms.DateField(label=_("评分截止日期"), widget=DATE)
    size = forms.IntegerField(label=_("抽取人数"), required=False, min_value=1, max_value=30)
    seed = forms.IntegerField(label=_("抽取种子（留空随机）"), required=False, min_value=0)


class ContractForm(Form):
    contract_no = forms.CharField(label=_("合同编号"), max_length=64)
    contract_sum = forms.CharField(label=_("合同经费（财政资金，万元）"))
    signed_on = forms.DateField(label=_("签约日期"), widget=DATE)
    first_tranche = forms.CharField(label=_("首期资金（万元）"))
    account_name = forms.CharField(label=_("收款户名"), max_length=200)
    bank_name = forms.CharField(label=_("开户行"), max_length=200)
    account_number = forms.CharField(label=_("账号"), max_length=40)


class TrancheForm(Form):
    team = forms.TypedChoiceField(label=_("团队"), coerce=int)
    milestone = forms.TypedChoiceField(label=_("拨付前须验收的里程碑"), coerce=int, required=False, empty_value=None)
    amount = forms.CharField(label=_("承诺金额（万元）"))
    on = forms.DateField(label=_("承诺日期"), widget=DATE, required=False)


class ReportForm(Form):
    milestone = forms.TypedChoiceField(label=_("里程碑"), coerce=int)
    summary = forms.CharField(label=_("完成情况"), widget=forms.Textarea(attrs={"rows": 4}))
    evidence = forms.FileField(label=_("佐证材料（可选，≤10MB）"), required=False)


class DecideReportForm(Form):
    accepted = forms.TypedChoiceField(
        label=_("审核结果"), coerce=lambda v: v == "1", choices=[("1", _("验收通过")), ("0", _("未通过"))]
    )
    score = forms.CharField(label=_("考核得分"), required=False)
    reviewers = forms.CharField(label=_("审核人员"), max_length=300)
    note = forms.CharField(label=_("审核意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    on = forms.DateField(label=_("审核日期"), widget=DATE, required=False)


class SpendingForm(Form):
    amount = forms.CharField(label=_("金额（万元）"))
    spent_on = forms.DateField(label=_("支出日期"), widget=DATE)
    payee = forms.CharField(label=_("收款方"), max_length=200)
    description = forms.CharField(label=_("用途"), max_length=300)
    evidence_ref = forms.CharField(label=_("凭证号"), max_length=100)
    evidence = forms.FileField(label=_("凭证扫描件（可选，≤10MB）"), required=False)


class ContributionForm(Form):
    source = forms.TypedChoiceField(label=_("出资方"), coerce=int)
    amount = forms.CharField(label=_("到位金额（万元）"))
    on = forms.DateField(label=_("到位日期"), widget=DATE)
    note = forms.CharField(label=_("摘要"), required=False, max_length=300)


class ExpertForm(Form):
    name = forms.CharField(label=_("姓名"), max_length=64)
    institution = forms.CharField(label=_("工作单位"), max_length=200)
    title = forms.CharField(label=_("职称"), max_length=64, required=False)
    fields = forms.CharField(label=_("专业领域"), max_length=200, help_text=_("多个领域用顿号分隔"))
    phone = forms.CharField(label=_("手机"), max_length=32, required=False)
    email = forms.EmailField(label=_("邮箱"), required=False)
    active = forms.BooleanField(label=_("在库"), required=False, initial=True)


class ConflictForm(Form):
    organisation = forms.CharField(label=_("需回避的单位"), max_length=200)
    reason = forms.CharField(label=_("原因"), max_length=200, required=False)


class CooperationForm(Form):
    organisation = forms.CharField(label=_("合作单位"), max_length=200)
    on = forms.DateField(label=_("合作日期"), widget=DATE)
    description = forms.CharField(label=_("合作内容"), max_length=200, required=False)


class CapabilityForm(Form):
    title = forms.CharField(label=_("能力名称"), max_length=200)
    field = forms.CharField(label=_("技术领域"), max_length=100)
    description = forms.CharField(label=_("能力介绍"), widget=forms.Textarea(attrs={"rows": 3}))
    contact = forms.CharField(label=_("联系方式"), max_length=100)


class ClawbackForm(Form):
    team = forms.TypedChoiceField(label=_("团队"), coerce=int)
    amount = forms.CharField(label=_("追回金额（万元）"))
    reason = forms.CharField(label=_("原因"), widget=forms.Textarea(attrs={"rows": 2}))


COMPARISONS = Indicator.Comparison.choices
