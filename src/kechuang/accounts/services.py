"""Login with lockout: after LOGIN_MAX_FAILURES wrong passwords the account is locked for a while.

The lock is checked before the password, so a locked account cannot be probed; counters live on the user row.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import authenticate
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import User


class LoginRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def login_attempt(request, username: str, password: str) -> User:
    user = User.objects.filter(username=username).first()
    now = timezone.now()
    if user and user.locked_until and user.locked_until > now:
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        raise LoginRefused(_("登录失败次数过多，账号已锁定，请 %(m)s 分钟后再试或联系管理员。") % {"m": minutes})
    authed = authenticate(request, username=username, password=password)
    if authed is None:
        if user:
            User.objects.filter(pk=user.pk).update(failed_logins=F("failed_logins") + 1)
            user.refresh_from_db(fields=["failed_logins"])
            if user.failed_logins >= settings.LOGIN_MAX_FAILURES:
                User.objects.filter(pk=user.pk).update(
                    locked_until=now + dt.timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS), failed_logins=0,
                )
                raise LoginRefused(_("登录失败次数过多，账号已锁定 %(m)s 分钟。") % {
                    "m": settings.LOGIN_LOCKOUT_SECONDS // 60})
        raise LoginRefused(_("用户名或密码错误。"))
    User.objects.filter(pk=authed.pk).update(failed_logins=0, locked_until=None)
    return authed
