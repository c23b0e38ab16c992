"""`kechuang audit …`, `kechuang token …`, `kechuang user …`: the server operator's security commands.

- audit verify: walk the audit hash chain (exit 0 intact; 1 names the first broken record);
- audit purge --before DATE: records older than the retention period (refused for younger ones) move into an
  archive file, as `kechuang archive` does: never deleted without a copy;
- token create --user NAME [--days N]: print a new API token for scripts and integrations (audited);
- user create NAME --role ROLE: accounts the web admins may not create (the audit admin, the first bureau admin).
"""

from __future__ import annotations

import getpass
import os
import sys

from .common import fail, parse_date

EXIT_BROKEN = 1


def register(sub) -> None:
    audit = sub.add_parser("audit", help="审计记录：校验哈希链、清理过期记录")
    audit = audit.add_subparsers(dest="what", required=True)
    audit.add_parser("verify", help="校验审计记录哈希链是否完整").set_defaults(handler=audit_verify)
    purge = audit.add_parser("purge", help="把超过保存期限的审计记录移入归档文件（同 kechuang archive）")
    purge.add_argument("--before", required=True, help="归档并清理此日期（YYYY-MM-DD）之前的记录")
    purge.set_defaults(handler=audit_purge)

    token = sub.add_parser("token", help="API 令牌").add_subparsers(dest="what", required=True)
    create = token.add_parser("create", help="为用户生成 API 令牌并打印（只显示这一次）")
    create.add_argument("--user", required=True, help="用户名")
    create.add_argument("--days", type=int, default=None, help="有效天数（默认见 API_TOKEN_DAYS，通常 90）")
    create.add_argument("--name", default="命令行", help="令牌名称（用途）")
    create.set_defaults(handler=token_create)

    user = sub.add_parser("user", help="账号（命令行管理的账号，如审计管理员）")
    user = user.add_subparsers(dest="what", required=True)
    add = user.add_parser("create", help="新建账号；密码从环境变量 KECHUANG_NEW_PASSWORD 读取，否则提示输入")
    add.add_argument("username")
    add.add_argument("--role", required=True, help="角色，如 audit_admin、bureau_admin")
    add.add_argument("--organisation", default="", help="所属机构名称")
    add.add_argument("--name", default="", help="姓名")
    add.set_defaults(handler=user_create)


def _setup():
    from kechuang.djangosetup import setup

    setup()


def audit_verify(args) -> int:
    _setup()
    from django.utils import timezone

    from kechuang.core import audit

    report = audit.verify()
    if report.broken is None:
        print(f"审计记录哈希链完整：共 {report.checked} 条。")
        return 0
    ev = report.broken
    print(
        f"审计记录哈希链断裂：第一条异常记录 #{ev.pk}（{timezone.localtime(ev.at):%Y-%m-%d %H:%M:%S}，"
        f"{audit.action_label(ev.action)}）：{report.reason}。此前 {report.checked} 条完整。",
        file=sys.stderr,
    )
    return EXIT_BROKEN


def audit_purge(args) -> int:
    _setup()
    from kechuang.core import archive

    try:
        done = archive.archive(before=parse_date(args.before))
    except (ValueError, archive.ArchiveError) as exc:
        return fail(str(exc))
    if done["path"] is None:
        print(f"{args.before} 之前没有可归档的记录。")
        return 0
    print(
        f"已将 {args.before} 之前的审计记录 {done['counts']['core_auditevent']} 条、已结束的后台任务 "
        f"{done['counts']['core_job']} 条移入归档文件 {done['path']}（SHA-256 {done['sha256']}），并记入审计。"
    )
    return 0


def token_create(args) -> int:
    _setup()
    from django.core.exceptions import ValidationError

    from kechuang.accounts import services
    from kechuang.accounts.models import User

    user = User.objects.filter(username=args.user).first()
    if user is None:
        return fail(f"用户“{args.user}”不存在")
    try:
        token, key = services.issue_token(actor=None, user=user, name=args.name, days=args.days)
    except ValidationError as exc:
        return fail("；".join(exc.messages))
    print(key)
    print(
        f"令牌已生成：用户 {user.username}，有效期至 {token.expires_at:%Y-%m-%d}（只显示这一次，请妥善保存）。",
        file=sys.stderr,
    )
    return 0


def user_create(args) -> int:
    _setup()
    from django.contrib.auth import password_validation
    from django.core.exceptions import ValidationError
    from django.db import transaction

    from kechuang.accounts import services
    from kechuang.accounts.models import Organisation, Role, User
    from kechuang.core import audit

    if args.role not in Role.values:
        return fail(f"角色“{args.role}”无效（可选：{'、'.join(Role.values)}）")
    organisation = Organisation.objects.filter(name=args.organisation).first() if args.organisation else None
    if args.organisation and organisation is None:
        return fail(f"机构“{args.organisation}”不存在")
    if User.objects.filter(username__iexact=args.username).exists():
        return fail(f"用户名“{args.username}”已存在")
    password = os.environ.get("KECHUANG_NEW_PASSWORD") or getpass.getpass("初始密码：")
    user = User(
        username=args.username,
        display_name=args.name,
        role=args.role,
        organisation=organisation,
        must_change_password=True,
    )
    try:
        password_validation.validate_password(password, user)
        if args.role != Role.ENTERPRISE_USER:
            services.check_scope(args.role, organisation, None)
    except ValidationError as exc:
        return fail("；".join(exc.messages))
    with transaction.atomic():
        user.set_password(password)
        user.save()
        audit.record(
            actor=None,
            action="user.create",
            obj=user,
            changes=audit.diff({}, services._security_state(user), services.SECURITY_FIELDS),
            note="命令行新建，首次登录须修改密码",
        )
    print(f"已新建账号 {user.username}（{user.get_role_display()}），首次登录须修改密码。")
    return 0
