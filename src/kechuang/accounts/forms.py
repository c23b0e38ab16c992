"""Forms of the account pages: sign-in, own password, tokens, and user management (bureau admin)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import PasswordChangeForm as DjangoPasswordChangeForm
from django.utils.translation import gettext_lazy as _

from kechuang.core.forms import Form
from kechuang.enterprises.models import Enterprise

from .models import Organisation, Role, User


class LoginForm(Form):
    username = forms.CharField(label=_("用户名"), max_length=150)
    password = forms.CharField(label=_("密码"), widget=forms.PasswordInput)


class PasswordChangeForm(DjangoPasswordChangeForm, Form):
    error_messages = {
        "password_incorrect": _("原密码不正确，请重新输入。"),
        "password_mismatch": _("两次输入的新密码不一致。"),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = _("原密码")
        self.fields["new_password1"].label = _("新密码")
        self.fields["new_password2"].label = _("再次输入新密码")
        self.fields["new_password1"].help_text = (
            "；".join(str(t).rstrip("。") for t in password_validation.password_validators_help_texts()) + "。"
        )


def _token_days():
    options = sorted({30, 90, 180, settings.API_TOKEN_DAYS, settings.API_TOKEN_MAX_DAYS})
    return [(d, _("%(d)s 天") % {"d": d}) for d in options if d <= settings.API_TOKEN_MAX_DAYS]


class TokenForm(Form):
    name = forms.CharField(
        label=_("名称"),
        max_length=64,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("用途，如：数据对接")}),
    )
    days = forms.TypedChoiceField(label=_("有效期"), coerce=int, choices=_token_days, required=False, empty_value=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["days"].initial = settings.API_TOKEN_DAYS


MANAGED_ROLES = [(r.value, r.label) for r in Role if r != Role.AUDIT_ADMIN]


class UserFilter(Form):
    q = forms.CharField(
        label=_("搜索"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("用户名或姓名")}),
    )
    role = forms.ChoiceField(label=_("角色"), required=False, choices=[("", _("全部角色")), *Role.choices])
    status = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[("", _("全部状态")), ("active", _("正常")), ("locked", _("已锁定")), ("disabled", _("已停用"))],
    )


class UserScopeForm(Form):
    """Role and scope: an organisation for most roles, the firm (by its USCC) for an enterprise user."""

    display_name = forms.CharField(label=_("姓名"), max_length=64)
    role = forms.ChoiceField(label=_("角色"), choices=MANAGED_ROLES)
    organisation = forms.ModelChoiceField(
        label=_("所属机构"),
        required=False,
        empty_label=_("（无）"),
        queryset=Organisation.objects.order_by("kind", "name"),
    )
    enterprise = forms.CharField(label=_("所属企业（统一社会信用代码）"), required=False, max_length=18)

    def clean_enterprise(self):
        code = (self.cleaned_data.get("enterprise") or "").strip().upper()
        if not code:
            return None
        enterprise = Enterprise.objects.filter(uscc=code).first()
        if enterprise is None:
            raise forms.ValidationError(_("没有统一社会信用代码为 %(c)s 的企业") % {"c": code})
        return enterprise


class UserCreateForm(UserScopeForm):
    username = forms.RegexField(
        label=_("用户名"),
        max_length=150,
        regex=r"^[\w.@+-]+\Z",
        error_messages={"invalid": _("用户名只能包含字母、数字和 @ . + - _")},
    )
    password = forms.CharField(label=_("初始密码"), widget=forms.PasswordInput, help_text=_("用户首次登录后须修改。"))
    field_order = ["username", "display_name", "role", "organisation", "enterprise", "password"]

    def clean(self):
        data = super().clean()
        if data.get("password"):
            probe = User(username=data.get("username") or "", display_name=data.get("display_name") or "")
            try:
                password_validation.validate_password(data["password"], probe)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data


class PasswordResetForm(Form):
    password = forms.CharField(
        label=_("临时密码"),
        widget=forms.PasswordInput,
        help_text=_("用户下次登录时须修改；该账号的 API 令牌将全部失效。"),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        password_validation.validate_password(password, self.user)
        return password
