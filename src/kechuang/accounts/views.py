"""Account pages: sign in and out, one's own password and API tokens, and user management for bureau admins."""

from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import services
from .forms import (
    LoginForm,
    PasswordChangeForm,
    PasswordResetForm,
    TokenForm,
    UserCreateForm,
    UserFilter,
    UserScopeForm,
)
from .models import ApiToken, Role, User

PAGE_SIZE = 50


def login_view(request):
    form = LoginForm(request.POST or None)
    error = None
    if request.session.pop("idle_logout", False):
        error = _("长时间未操作，已自动退出，请重新登录。")
    if request.method == "POST" and form.is_valid():
        user = authenticate(request, username=form.cleaned_data["username"], password=form.cleaned_data["password"])
        if user is None:
            error = services.LOGIN_REFUSED
        else:
            login(request, user)
            target = request.GET.get("next") or "/"
            if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
                target = "/"
            return redirect(target)
    elif request.method == "POST":
        error = services.LOGIN_REFUSED
    return render(request, "accounts/login.html", {"form": form, "error": error}, status=200 if not error else 401)


@require_POST
def logout_view(request):
    services.record_logout(request)
    logout(request)
    return redirect("accounts:login")


@login_required
def password_change(request):
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.change_own_password(request, form.cleaned_data["new_password1"])
        messages.success(request, _("密码已修改。其他设备上的登录与全部 API 令牌已失效。"))
        return redirect("core:home")
    return render(request, "accounts/password.html", {"form": form, "forced": request.user.must_change_password})


@login_required
def tokens(request):
    """A user's API tokens: create one (its key is shown once) or revoke one."""
    if request.user.is_audit_admin:
        raise PermissionDenied(_("审计管理员只查阅审计日志，不使用 API 令牌"))
    new_key = None
    form = TokenForm(request.POST if request.method == "POST" and "revoke" not in request.POST else None)
    if request.method == "POST":
        if "revoke" in request.POST:
            revoke = request.POST["revoke"]
            token = ApiToken.objects.filter(user=request.user, pk=int(revoke)).first() if revoke.isdigit() else None
            if token is not None:
                services.revoke_token(actor=request.user, token=token)
                messages.success(request, _("令牌已撤销。"))
            return redirect("accounts:tokens")
        if form.is_valid():
            try:
                _token, new_key = services.issue_token(
                    actor=request.user,
                    user=request.user,
                    name=form.cleaned_data["name"],
                    days=form.cleaned_data["days"],
                )
            except ValidationError as exc:
                messages.error(request, "；".join(exc.messages))
            form = TokenForm()
    return render(
        request,
        "accounts/tokens.html",
        {
            "tokens": ApiToken.objects.filter(user=request.user).order_by("-created_at"),
            "new_key": new_key,
            "form": form,
        },
    )


# ---------------------------------------------------------------- user management (bureau admin)


def _manager(request) -> None:
    if not request.user.can_manage_users:
        raise PermissionDenied(_("只有科技局管理员可以管理用户"))


def _status_filter(qs, status: str):
    now = timezone.now()
    if status == "locked":
        return qs.filter(locked_until__gt=now)
    if status == "disabled":
        return qs.filter(is_active=False)
    if status == "active":
        return qs.filter(is_active=True).exclude(locked_until__gt=now)
    return qs


@login_required
def users(request):
    _manager(request)
    form = UserFilter(request.GET)
    qs = User.objects.select_related("organisation", "enterprise").order_by("role", "username")
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            qs = qs.filter(Q(username__icontains=data["q"]) | Q(display_name__icontains=data["q"]))
        if data["role"]:
            qs = qs.filter(role=data["role"])
        qs = _status_filter(qs, data["status"])
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "accounts/users.html", {"form": form, "page": page})


def _form_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@login_required
def user_create(request):
    _manager(request)
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.create_user(
                actor=request.user,
                username=data["username"],
                display_name=data["display_name"],
                role=data["role"],
                organisation=data["organisation"],
                enterprise=data["enterprise"],
                password=data["password"],
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("已新建用户 %(u)s，首次登录须修改密码。") % {"u": user.username})
            return redirect("accounts:user", pk=user.pk)
    return render(request, "accounts/user_new.html", {"form": form})


def _managed_user(request, pk) -> User:
    _manager(request)
    return get_object_or_404(User.objects.select_related("organisation", "enterprise"), pk=pk)


@login_required
def user_detail(request, pk):
    user = _managed_user(request, pk)
    form = UserScopeForm(
        request.POST or None,
        initial={
            "display_name": user.display_name,
            "role": user.role,
            "organisation": user.organisation,
            "enterprise": user.enterprise.uscc if user.enterprise_id else "",
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.update_user(
                actor=request.user,
                user=user,
                role=data["role"],
                organisation=data["organisation"],
                enterprise=data["enterprise"],
                display_name=data["display_name"],
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect("accounts:user", pk=user.pk)
    return render(
        request,
        "accounts/user.html",
        {
            "managed": user,
            "form": form,
            "reset_form": PasswordResetForm(user=user),
            "editable": user.role != Role.AUDIT_ADMIN,
            "tokens": user.api_tokens.order_by("-created_at"),
        },
    )


@login_required
@require_POST
def user_action(request, pk, action):
    """Disable, enable, unlock, reset the password, revoke a token: each one audited by its service."""
    user = _managed_user(request, pk)
    try:
        if action in ("disable", "enable"):
            services.set_active(actor=request.user, user=user, active=action == "enable")
            messages.success(
                request, _("账号已启用。") if action == "enable" else _("账号已停用，其登录与令牌已失效。")
            )
        elif action == "unlock":
            services.unlock_user(actor=request.user, user=user)
            messages.success(request, _("已解除锁定。"))
        elif action == "password":
            form = PasswordResetForm(request.POST, user=user)
            if not form.is_valid():
                raise ValidationError([e for errors in form.errors.values() for e in errors])
            services.reset_password(actor=request.user, user=user, new_password=form.cleaned_data["password"])
            messages.success(request, _("已重置密码，用户下次登录须修改。"))
        elif action == "revoke":
            token_id = request.POST.get("token") or ""
            token = get_object_or_404(ApiToken, pk=int(token_id) if token_id.isdigit() else 0, user=user)
            services.revoke_token(actor=request.user, token=token)
            messages.success(request, _("令牌已撤销。"))
        else:
            raise PermissionDenied(_("未知操作"))
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect("accounts:user", pk=user.pk)
