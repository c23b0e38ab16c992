"""Forms of the finance pages: Chinese labels and messages; the services check everything again."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kechuang.accounts.models import Organisation
from kechuang.core.forms import DateInput, Form
from kechuang.engine.finance import workflow
from kechuang.engine.finance.consent import SCOPES

from .models import CommitteeVote, Loan


def _scope_field():
    return forms.MultipleChoiceField(
        label=_("授权银行查看的数据"),
        choices=list(SCOPES.items()),
        widget=forms.CheckboxSelectMultiple,
        initial=list(SCOPES),
        error_messages={"required": _("请至少选择一项授权查看的数据")},
    )


class ApplicationForm(Form):
    amount = forms.DecimalField(label=_("申请金额（万元）"), min_value=0.01, max_digits=14, decimal_places=4)
    term_months = forms.IntegerField(label=_("期限（月）"), min_value=1, max_value=360, initial=12)
    purpose = forms.CharField(label=_("资金用途"), max_length=200)
    scopes = _scope_field()
    months = forms.IntegerField(label=_("授权期限（月）"), min_value=1, max_value=120)
    agree = forms.BooleanField(
        label=_("我已阅读并同意：授权期内该银行可查看上述数据，每次查看均留痕；可随时撤回授权。"),
        error_messages={"required": _("提交申请须同意数据授权")},
    )


class ProductForm(Form):
    bank = forms.ModelChoiceField(
        label=_("银行"), queryset=Organisation.objects.filter(kind="bank"), empty_label=_("请选择银行")
    )
    code = forms.SlugField(label=_("产品代码（字母、数字、下划线）"), max_length=64)
    name = forms.CharField(label=_("产品名称"), max_length=128)
    rule_id = forms.ChoiceField(label=_("产品规则（条款）"), choices=[])
    launched_on = forms.DateField(label=_("上线日期"), widget=DateInput)
    summary = forms.CharField(label=_("产品说明"), max_length=500, required=False)

    def __init__(self, *args, **kwargs):
        from kechuang.engine.ruledata import rulebook

        super().__init__(*args, **kwargs)
        book = rulebook("loan_product")
        self.fields["rule_id"].choices = [
            (i, f"{book.versions(i)[-1].name}（{book.versions(i)[-1].city}）") for i in book.ids()
        ]


class ConsentForm(Form):
    bank = forms.ModelChoiceField(
        label=_("银行"), queryset=Organisation.objects.filter(kind="bank"), empty_label=_("请选择银行")
    )
    scopes = _scope_field()
    months = forms.IntegerField(label=_("授权期限（月）"), min_value=1, max_value=120)
    purpose = forms.CharField(label=_("用途"), max_length=200, required=False)


class StepForm(Form):
    target = forms.ChoiceField(label=_("办理"), choices=list(workflow.STEP_LABELS.items()))
    on = forms.DateField(label=_("日期"), widget=DateInput, required=False)
    amount = forms.DecimalField(label=_("金额（万元）"), required=False, max_digits=14, decimal_places=4)
    rate = forms.DecimalField(label=_("年利率（%）"), required=False, max_digits=7, decimal_places=4)
    maturity_on = forms.DateField(label=_("到期日期"), widget=DateInput, required=False)
    contract_no = forms.CharField(label=_("合同编号"), max_length=64, required=False)
    defaulted_principal = forms.DecimalField(
        label=_("违约本金（万元）"), required=False, max_digits=14, decimal_places=4
    )
    reason = forms.CharField(label=_("说明 / 原因"), max_length=500, required=False)

    def step(self) -> workflow.Step:
        d = self.cleaned_data

        def num(key):
            return float(d[key]) if d.get(key) is not None else None

        return workflow.Step(
            target=d["target"],
            reason=d.get("reason") or "",
            amount=num("amount"),
            rate=num("rate"),
            on=d.get("on"),
            maturity_on=d.get("maturity_on"),
            defaulted_principal=num("defaulted_principal"),
        )


class LoanImportForm(Form):
    file = forms.FileField(label=_("贷款记录文件（.xlsx 或 .csv）"))


class ContributionForm(Form):
    amount = forms.DecimalField(label=_("注资金额（万元）"), min_value=0.01, max_digits=14, decimal_places=4)
    on = forms.DateField(label=_("日期"), widget=DateInput)
    source = forms.CharField(label=_("资金来源"), max_length=128)


class RecoveryForm(Form):
    loan = forms.ModelChoiceField(label=_("违约贷款"), queryset=Loan.objects.filter(status="defaulted"))
    amount = forms.DecimalField(label=_("回款金额（万元）"), min_value=0.01, max_digits=14, decimal_places=4)
    on = forms.DateField(label=_("日期"), widget=DateInput)


class DealForm(Form):
    project = forms.CharField(label=_("项目名称"), max_length=128)
    amount = forms.DecimalField(label=_("拟投金额（万元）"), min_value=0.01, max_digits=14, decimal_places=4)
    sourced_on = forms.DateField(label=_("入库日期"), widget=DateInput)
    uscc = forms.CharField(label=_("被投企业统一社会信用代码（可选）"), max_length=18, required=False)
    note = forms.CharField(label=_("说明"), max_length=500, required=False)


class DealStepForm(Form):
    target = forms.ChoiceField(label=_("推进到"), choices=[])
    on = forms.DateField(label=_("日期"), widget=DateInput)
    exit_amount = forms.DecimalField(label=_("退出回收金额（万元）"), required=False, max_digits=14, decimal_places=4)
    note = forms.CharField(label=_("说明"), max_length=500, required=False)


class VoteForm(Form):
    member = forms.CharField(label=_("委员"), max_length=64)
    vote = forms.ChoiceField(label=_("表决"), choices=CommitteeVote.Vote.choices)
    note = forms.CharField(label=_("意见"), max_length=300, required=False)


class DecisionForm(Form):
    on = forms.DateField(label=_("决议日期"), widget=DateInput)


class DocumentForm(Form):
    kind = forms.CharField(label=_("文件类别"), max_length=64)
    title = forms.CharField(label=_("文件名称"), max_length=200)
    dated_on = forms.DateField(label=_("文件日期"), widget=DateInput)
    file = forms.FileField(label=_("附件（可选）"), required=False)


class EventForm(Form):
    title = forms.CharField(label=_("活动名称"), max_length=200)
    held_on = forms.DateField(label=_("日期"), widget=DateInput)
    place = forms.CharField(label=_("地点"), max_length=200)
    organiser = forms.CharField(label=_("主办"), max_length=128)
    banks = forms.ModelMultipleChoiceField(
        label=_("参加银行"), queryset=Organisation.objects.filter(kind="bank"), widget=forms.CheckboxSelectMultiple
    )
    firms = forms.IntegerField(label=_("参加企业数"), min_value=0)
    intentions = forms.IntegerField(label=_("达成意向数"), min_value=0)
    signed_amount = forms.DecimalField(label=_("现场签约金额（万元）"), min_value=0, max_digits=14, decimal_places=4)
    note = forms.CharField(label=_("说明"), max_length=500, required=False)
