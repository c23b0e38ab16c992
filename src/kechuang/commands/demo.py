"""`kechuang demo`: migrate, build the demo region if the database is empty, then serve it."""

from __future__ import annotations

import time

DEFAULT_ENTERPRISES = 8000
DEFAULT_SEED = 2024


def register(sub) -> None:
    parser = sub.add_parser("demo", help="构建演示区域（数据库为空时）并启动网站")
    parser.add_argument("--enterprises", type=int, default=DEFAULT_ENTERPRISES, help="企业数量（默认 8000）")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="随机种子（相同种子生成相同数据）")
    parser.add_argument("--no-serve", action="store_true", help="构建后退出，不启动网站")
    parser.add_argument("--rebuild", action="store_true", help="清空企业库后重新生成")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.set_defaults(handler=handle, no_worker=False)


def handle(args) -> int:
    from kechuang.djangosetup import setup

    setup()
    from django.core.management import call_command

    from kechuang.demo import load
    from kechuang.demo.generator import generate

    if args.enterprises < 10:
        print("错误：--enterprises 至少为 10")
        return 2
    call_command("migrate", verbosity=0, interactive=False)
    if args.rebuild and load.has_data():
        print("清空现有企业库……")
        load.clear()
    if load.has_data():
        print("数据库中已有数据，跳过演示区域构建（使用 --rebuild 重新生成）。")
    else:
        started = time.perf_counter()
        print(f"生成演示区域：{args.enterprises} 家企业，seed={args.seed}……", flush=True)
        region = generate(args.enterprises, args.seed)
        result = load.load(region, progress=lambda m: print(m, flush=True))
        print(
            f"演示区域已构建：企业 {result['enterprises_created']} 家，年度数据 {result['figures_created']} 条，"
            f"入驻记录 {result['residencies']} 条，资质 {result['qualifications']} 条，"
            f"用时 {time.perf_counter() - started:.1f} 秒。"
        )
    print_logins(f"http://{args.host}:{args.port}")
    if args.no_serve:
        return 0
    from kechuang.commands.serve import handle as serve

    return serve(args)


def print_logins(base: str) -> None:
    from kechuang.accounts.models import User
    from kechuang.demo.generator import generate_password_hint

    print(f"\n演示账号（密码均为 {generate_password_hint()}）：")
    for user in User.objects.order_by("role", "username"):
        where = user.enterprise or user.organisation or ""
        print(f"  {user.get_role_display():<10} {user.username:<14} {where}")
    from kechuang.demo.challenges import demo_links

    links = demo_links(base)
    if links:
        print("\n揭榜挂帅评审专家链接（专家无需账号，科技局可在榜单页面复制）：")
        for line in links:
            print(f"  {line}")
