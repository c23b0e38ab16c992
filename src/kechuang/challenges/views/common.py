"""What every challenge view shares: role checks (403), running a service and saying what happened."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from kechuang.enterprises.models import Enterprise

PAGE_SIZE = 30


def deny_unless(flag: bool, message: str | None = None) -> None:
    if not flag:
        raise PermissionDenied(message or _("无权访问"))


def errors(exc: ValidationError) -> str:
    return "；".join(exc.messages)


def attempt(request, action, success: str, to, *args, **kwargs):
    """Run a service; on success say `success`, on a refusal show its Chinese reasons; then go to `to`."""
    try:
        action()
    except ValidationError as exc:
        messages.error(request, errors(exc))
    else:
        messages.success(request, success)
    return redirect(to, *args, **kwargs)


def form_errors(form) -> str:
    parts = []
    for name, errs in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        parts.append(f"{label}：{'；'.join(errs)}" if label else "；".join(errs))
    return "；".join(parts)


def enterprise_by_uscc(uscc: str):
    uscc = (uscc or "").strip().upper()
    if not uscc:
        return None
    firm = Enterprise.objects.filter(uscc=uscc).first()
    if firm is None:
        raise ValidationError(_("企业库中没有统一社会信用代码为 %(u)s 的企业") % {"u": uscc})
    return firm
