"""Accounts: signing in (one path for every way in), API tokens, and user management. Every outcome is audited.

Signing in (`authenticate`, called by `backends.LockoutBackend` for the login page, the admin site and any
other caller of django.contrib.auth.authenticate):
- an address with LOGIN_ADDRESS_MAX_FAILURES refused sign-ins in the last LOGIN_ADDRESS_WINDOW_SECONDS is refused
  whatever it sends (so guessing many usernames from one place stops);
- an account with LOGIN_MAX_FAILURES consecutive wrong passwords is locked for LOGIN_LOCKOUT_SECONDS (an admin
  may unlock it earlier); a locked, disabled or unknown account is refused like a wrong password;
- the caller learns only "refused": the one message the login page shows never says which of these it was; the
  audit log does.
API tokens (`authenticate_token`) go through the same address throttle; a token ends when it expires, is
revoked, or its account is disabled, locked or changes its password.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import update_session_auth_hash
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kechuang.core import audit
from kechuang.core.client import client_address

from .models import ORGANISATION_KIND, ApiToken, LoginFailure, Role, User

# The one answer to every refused sign-in (no account enumeration): see the module docstring.
LOGIN_REFUSED = _(
    "用户名或密码错误，或账号暂时无法登录。连续多次失败后，账号或来源地址将被暂时锁定，请稍后再试或联系管理员。"
)
SECURITY_FIELDS = ("role", "organisation", "enterprise", "display_name", "is_active")


def _require(flag: bool, message: str) -> None:
    if not flag:
        raise PermissionDenied(message)


# ---------------------------------------------------------------- throttling and lockout


def _recent_failures(address: str | None) -> int:
    since = timezone.now() - dt.timedelta(seconds=settings.LOGIN_ADDRESS_WINDOW_SECONDS)
    return LoginFailure.objects.filter(address=address, at__gte=since).count()


def address_blocked(address: str | None) -> bool:
    return _recent_failures(address) >= settings.LOGIN_ADDRESS_MAX_FAILURES


def _note_failure(address: str | None, username: str) -> None:
    """Count a refused attempt against its address; the failure that reaches the limit is audited as a block."""
    now = timezone.now()
    LoginFailure.objects.filter(at__lt=now - dt.timedelta(seconds=settings.LOGIN_ADDRESS_WINDOW_SECONDS)).delete()
    LoginFailure.objects.create(address=address, username=username[:150])
    if _recent_failures(address) == settings.LOGIN_ADDRESS_MAX_FAILURES:
        audit.record(
            actor=None,
            action="auth.address_blocked",
            object_type="accounts.address",
            object_id=address or "",
            address=address,
            note=_("来源地址 %(a)s 在 %(m)s 分钟内登录失败 %(n)s 次，暂停该地址登录")
            % {
                "a": address or _("未知"),
                "m": settings.LOGIN_ADDRESS_WINDOW_SECONDS // 60,
                "n": settings.LOGIN_ADDRESS_MAX_FAILURES,
            },
        )


def _failed(request, username: str, user: User | None, reason: str) -> None:
    address = client_address(request) if request is not None else None
    audit.record(
        actor=None,
        action="auth.login_failed",
        obj=user,
        object_type="accounts.user",
        object_id=str(user.pk) if user else "",
        address=address,
        note=_("用户名“%(u)s”：%(r)s") % {"u": username[:150], "r": reason},
    )
    _note_failure(address, username)


def authenticate(request, username: str | None, password: str | None) -> User | None:
    """The user when the password is right and nothing refuses the attempt; None otherwise (audited)."""
    if not username or password is None:
        return None
    address = client_address(request) if request is not None else None
    if address_blocked(address):
        return None  # refused without counting: the address is already at its limit (its block is audited)
    user = User.objects.filter(username=username).first()
    if user is None:
        User().set_password(password)  # as slow as a real check, so timing does not reveal unknown names
        _failed(request, username, None, _("用户名不存在"))
        return None
    if user.is_locked:
        _failed(
            request,
            username,
            user,
            _("账号已锁定（至 %(t)s）") % {"t": timezone.localtime(user.locked_until).strftime("%Y-%m-%d %H:%M")},
        )
        return None
    if not user.check_password(password):
        _wrong_password(request, username, user)
        return None
    if not user.is_active:
        _failed(request, username, user, _("账号已停用"))
        return None
    User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
    user.failed_logins, user.locked_until = 0, None
    audit.record(
        actor=user,
        action="auth.login",
        obj=user,
        address=address,
        note=_("管理后台") if request is not None and request.path.startswith("/admin/") else "",
    )
    return user


def _wrong_password(request, username: str, user: User) -> None:
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        locked.failed_logins += 1
        lock = locked.failed_logins >= settings.LOGIN_MAX_FAILURES
        if lock:
            locked.failed_logins = 0
            locked.locked_until = timezone.now() + dt.timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)
        locked.save(update_fields=["failed_logins", "locked_until"])
        _failed(
            request,
            username,
            user,
            _("密码错误（连续第 %(n)s 次）") % {"n": settings.LOGIN_MAX_FAILURES if lock else locked.failed_logins},
        )
        if lock:
            audit.record(
                actor=None,
                action="auth.lockout",
                obj=locked,
                changes={"locked_until": [None, audit.jsonable(locked.locked_until)]},
                note=_("连续 %(n)s 次密码错误，锁定 %(m)s 分钟")
                % {"n": settings.LOGIN_MAX_FAILURES, "m": settings.LOGIN_LOCKOUT_SECONDS // 60},
            )


def unlock_user(*, actor, user: User) -> User:
    _require(actor.can_manage_users and user.role != Role.AUDIT_ADMIN, _("无权解除该账号的锁定"))
    with transaction.atomic():
        old = user.locked_until
        User.objects.filter(pk=user.pk).update(locked_until=None, failed_logins=0)
        user.locked_until, user.failed_logins = None, 0
        audit.record(actor=actor, action="user.unlock", obj=user, changes={"locked_until": [audit.jsonable(old), None]})
    return user


def record_logout(request, *, idle: bool = False) -> None:
    user = request.user
    if getattr(user, "is_authenticated", False):
        audit.record(actor=user, action="auth.idle_logout" if idle else "auth.logout", obj=user)


# ---------------------------------------------------------------- API tokens


def authenticate_token(request, key: str) -> User | None:
    address = client_address(request)
    if address_blocked(address):
        return None
    token = ApiToken.objects.select_related("user").filter(key_hash=ApiToken.hash(key)).first()
    now = timezone.now()
    reason = (
        _("令牌不存在")
        if token is None
        else _("令牌已撤销")
        if token.revoked_at
        else _("令牌已过期")
        if token.expires_at <= now
        else _("账号已停用")
        if not token.user.is_active
        else _("账号已锁定")
        if token.user.is_locked
        else None
    )
    if reason:
        audit.record(
            actor=None,
            action="auth.token_failed",
            obj=token,
            object_type="accounts.apitoken",
            object_id=str(token.pk) if token else "",
            address=address,
            note=_("%(r)s（前缀 %(p)s）") % {"r": reason, "p": key[:8]},
        )
        _note_failure(address, token.user.username if token else "")
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def issue_token(*, actor, user: User, name: str = "", days: int | None = None) -> tuple[ApiToken, str]:
    """A new token for `user` (their own, or by the command line: actor None). The key is returned once."""
    if actor is not None:
        _require(actor.pk == user.pk, _("只能为本人生成令牌"))
    days = days or settings.API_TOKEN_DAYS
    if not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        raise ValidationError(_("有效天数应在 1 到 %(n)s 之间") % {"n": settings.API_TOKEN_MAX_DAYS})
    if not user.is_active or user.is_locked:
        raise ValidationError(_("账号已停用或锁定，不能生成令牌"))
    if user.role == Role.AUDIT_ADMIN:
        raise ValidationError(_("审计管理员只查阅审计日志，不使用 API 令牌"))
    with transaction.atomic():
        token, key = ApiToken.issue(user, (name or "").strip()[:64] or "default", days=days)
        audit.record(
            actor=actor,
            action="token.create",
            obj=token,
            changes={"expires_at": [None, audit.jsonable(token.expires_at)]},
            note=_("用户 %(u)s 的令牌“%(n)s”（前缀 %(p)s，%(d)s 天）%(via)s")
            % {
                "u": user.username,
                "n": token.name,
                "p": token.prefix,
                "d": days,
                "via": "" if actor is not None else _("，命令行生成"),
            },
        )
    return token, key


def revoke_token(*, actor, token: ApiToken, reason: str = "") -> ApiToken:
    _require(
        actor.pk == token.user_id or (actor.can_manage_users and token.user.role != Role.AUDIT_ADMIN),
        _("无权撤销该令牌"),
    )
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token.pk)
        if token.revoked_at is None:
            _revoke(token, actor, reason or (_("本人撤销") if actor.pk == token.user_id else _("管理员撤销")))
    return token


def _revoke(token: ApiToken, actor, reason: str) -> None:
    token.revoked_at, token.revoked_reason = timezone.now(), reason[:100]
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=token.revoked_at, revoked_reason=token.revoked_reason)
    audit.record(
        actor=actor,
        action="token.revoke",
        obj=token,
        changes={"revoked_at": [None, audit.jsonable(token.revoked_at)]},
        note=_("用户 %(u)s 的令牌“%(n)s”（前缀 %(p)s）：%(r)s")
        % {"u": token.user.username, "n": token.name, "p": token.prefix, "r": reason},
    )


def end_tokens(user: User, reason: str, actor=None) -> int:
    """Revoke every live token of the account (its password changed, it was disabled or locked)."""
    live = list(ApiToken.objects.select_related("user").filter(user=user, revoked_at__isnull=True))
    for token in live:
        _revoke(token, actor, reason)
    return len(live)


# ---------------------------------------------------------------- passwords


def change_own_password(request, new_password: str) -> None:
    """The signed-in user sets a new password (the form checked the old one). This session stays signed in;
    the account's other sessions and all its tokens end."""
    user = request.user
    with transaction.atomic():
        user.set_password(new_password)
        user.must_change_password = False
        user.save()
        audit.record(actor=user, action="user.password_change", obj=user)
    update_session_auth_hash(request, user)


def reset_password(*, actor, user: User, new_password: str) -> None:
    """An administrator sets a temporary password; the user must choose their own at the next login."""
    _check_can_manage(actor, user)
    with transaction.atomic():
        user.set_password(new_password)
        user.must_change_password = True
        user.failed_logins, user.locked_until = 0, None
        user.save()
        audit.record(actor=actor, action="user.password_reset", obj=user, note=_("下次登录须修改密码"))


# ---------------------------------------------------------------- user management


def _check_can_manage(actor, user: User | None = None, role: str | None = None) -> None:
    _require(actor.can_manage_users, _("只有科技局管理员可以管理用户"))
    # The audit admin is outside the bureau admin's reach (三员分立): created and kept by the command line.
    _require(
        role != Role.AUDIT_ADMIN and (user is None or user.role != Role.AUDIT_ADMIN),
        _("审计管理员账号只能由系统运维人员通过命令行管理"),
    )
    _require(user is None or not user.is_superuser or actor.is_superuser, _("无权修改该账号"))


def check_scope(role: str, organisation, enterprise) -> None:
    """A role's scope must fit it: an enterprise user names its firm, the others an organisation of their kind."""
    if role == Role.ENTERPRISE_USER:
        if enterprise is None:
            raise ValidationError({"enterprise": _("企业用户须指定所属企业")})
        if organisation is not None:
            raise ValidationError({"organisation": _("企业用户不属于机构，请留空")})
        return
    if enterprise is not None:
        raise ValidationError({"enterprise": _("只有企业用户可以指定所属企业")})
    kinds = ORGANISATION_KIND.get(role, ())
    if organisation is None:
        raise ValidationError({"organisation": _("该角色须指定所属机构")})
    if organisation.kind not in kinds:
        raise ValidationError(
            {
                "organisation": _("“%(o)s”是%(k)s，不能担任%(r)s")
                % {"o": organisation.name, "k": organisation.get_kind_display(), "r": Role(role).label}
            }
        )


def create_user(
    *, actor, username: str, display_name: str, role: str, organisation=None, enterprise=None, password: str
) -> User:
    _check_can_manage(actor, role=role)
    check_scope(role, organisation, enterprise)
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("用户名已存在")})
    with transaction.atomic():
        user = User(
            username=username,
            display_name=display_name,
            role=role,
            organisation=organisation,
            enterprise=enterprise,
            must_change_password=True,
        )
        user.set_password(password)
        user.save()
        audit.record(
            actor=actor,
            action="user.create",
            obj=user,
            changes=audit.diff({}, _security_state(user), SECURITY_FIELDS),
            note=_("新建用户 %(u)s，首次登录须修改密码") % {"u": username},
        )
    return user


def _security_state(user: User) -> dict:
    return {
        "role": user.role,
        "organisation": str(user.organisation) if user.organisation_id else None,
        "enterprise": str(user.enterprise.uscc) if user.enterprise_id else None,
        "display_name": user.display_name,
        "is_active": user.is_active,
    }


def update_user(*, actor, user: User, role: str, organisation, enterprise, display_name: str, note: str = "") -> User:
    """Role, scope and name. A bureau admin cannot change their own role (another admin must)."""
    _check_can_manage(actor, user, role)
    _require(actor.pk != user.pk or role == user.role, _("不能修改本人的角色，请由另一位管理员操作"))
    check_scope(role, organisation, enterprise)
    with transaction.atomic():
        before = _security_state(User.objects.select_for_update().get(pk=user.pk))
        user.role, user.organisation, user.enterprise, user.display_name = role, organisation, enterprise, display_name
        user.save(update_fields=["role", "organisation", "enterprise", "display_name"])
        changes = audit.diff(before, _security_state(user), SECURITY_FIELDS)
        if changes:
            audit.record(actor=actor, action="user.update", obj=user, changes=changes, note=note)
    return user


def set_active(*, actor, user: User, active: bool) -> User:
    _check_can_manage(actor, user)
    _require(actor.pk != user.pk, _("不能停用本人账号"))
    if user.is_active == active:
        return user
    with transaction.atomic():
        user.is_active = active
        user.save(update_fields=["is_active"])
        audit.record(
            actor=actor,
            action="user.enable" if active else "user.disable",
            obj=user,
            changes={"is_active": [not active, active]},
        )
    return user
