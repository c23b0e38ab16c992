"""`kechuang serve`: the web app (waitress) and the background-job worker (Huey) in one process."""

from __future__ import annotations


def register(sub) -> None:
    parser = sub.add_parser("serve", help="启动网站与后台任务处理（默认 http://127.0.0.1:8000）")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--no-worker", action="store_true", help="不在本进程内处理后台任务")
    parser.set_defaults(handler=handle)


def start_worker() -> None:
    """Run a Huey consumer in daemon threads of this process (the demo needs no second command)."""
    from django.conf import settings
    from huey.contrib.djhuey import HUEY

    consumer = HUEY.create_consumer(**settings.HUEY["consumer"])
    # Its worker and scheduler threads are daemons; Ctrl+C belongs to the web server, so the consumer must not
    # take over the process's signal handlers.
    consumer._set_signal_handlers = lambda: None
    consumer.start()
    from kechuang.core import jobs

    jobs.watch_stalled()


def handle(args) -> int:
    from kechuang.djangosetup import setup

    setup()
    from waitress import serve

    from kechuang.wsgi import application

    if not args.no_worker:
        start_worker()
    print(f"科创平台已启动：http://{args.host}:{args.port}  （Ctrl+C 退出）", flush=True)
    serve(application, host=args.host, port=args.port, threads=8, ident="kechuang")
    return 0
