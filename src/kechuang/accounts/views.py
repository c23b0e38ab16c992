from django import forms
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from kechuang.core.forms import Form

from .models import ApiToken
from .services import LoginRefused, login_attempt


class LoginForm(Form):
    username = forms.CharField(label=_("用户名"), max_length=150)
    password = forms.CharField(label=_("密码"), widget=forms.PasswordInput)


def login_view(request):
    form = LoginForm(request.POST or None)
    error = None
    if request.session.pop("idle_logout", False):
        error = _("长时间未操作，已自动退出，请重新登录。")
    if request.method == "POST" and form.is_valid():
        try:
            user = login_attempt(request, form.cleaned_data["username"], form.cleaned_data["password"])
        except LoginRefused as exc:
            error = exc.message
        else:
            login(request, user)
            target = request.GET.get("next") or "/"
            if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
                target = "/"
            return redirect(target)
    return render(request, "accounts/login.html", {"form": form, "error": error}, status=200 if not error else 401)


@login_required
def tokens(request):
    """A user's API tokens: create one (its key is shown once) or revoke one."""
    new_key = None
    if request.method == "POST":
        if "revoke" in request.POST:
            revoke = request.POST["revoke"]
            if revoke.isdigit():
                ApiToken.objects.filter(user=request.user, pk=int(revoke)).delete()
            messages.success(request, _("令牌已撤销。"))
            return redirect("accounts:tokens")
        name = (request.POST.get("name") or "").strip()[:64] or "default"
        _token, new_key = ApiToken.issue(request.user, name)
    return render(request, "accounts/tokens.html", {
        "tokens": ApiToken.objects.filter(user=request.user).order_by("-created_at"), "new_key": new_key})


@require_POST
def logout_view(request):
    logout(request)
    return redirect("accounts:login")
