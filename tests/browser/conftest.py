"""Browser fixtures: Debian's Chromium, driven by Playwright's sync API, against pytest-django's live_server.

Policy:
- The browser is the Debian package at /usr/bin/chromium (never a downloaded one); without it every browser
  test is skipped with a reason in Chinese and English.
- One Chromium for the whole browser suite, one fresh context (cookies, storage) per test.
- Playwright's sync API keeps an asyncio loop running in the main thread while it is started, so Django's
  async-safety guard would refuse ORM calls made by fixtures and tests there. DJANGO_ALLOW_ASYNC_UNSAFE is set
  for exactly the lifetime of that loop and restored after; the live server answers from its own thread.
- Fixtures that need Chromium are package-scoped, not session-scoped: the loop must be stopped when the
  browser tests end, or it would stay "running" under every test collected after them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
SKIP_REASON = (
    "未安装 Debian 的 Chromium（/usr/bin/chromium），跳过浏览器测试；"
    "安装：apt-get install chromium fonts-noto-cjk / "
    "Debian's Chromium (/usr/bin/chromium) is not installed; browser tests skipped."
)
# The machine reaches nothing but package registries: keep Chromium from phoning home or waiting on it.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 15_000  # generous: the suite shares two cores with other work


@pytest.fixture(scope="package")
def playwright():
    if not CHROMIUM.exists():
        pytest.skip(SKIP_REASON)
    sync_api = pytest.importorskip("playwright.sync_api", reason="未安装 playwright 包 / playwright missing")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_api.sync_playwright() as pw:
            yield pw


def launch(playwright, **kwargs):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, **kwargs)


@pytest.fixture(scope="package")
def browser(playwright):
    chromium = launch(playwright)
    yield chromium
    chromium.close()


@pytest.fixture(scope="package")
def screenshots(tmp_path_factory) -> Path:
    """Where the screenshots go (a pytest tmp dir; its path is printed by the tests that write there)."""
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture
def page(browser, live_server, transactional_db):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def login_as(page, live_server):
    """Sign a user in without the form (the form itself is tested once): copy a fresh session cookie."""
    from django.conf import settings
    from django.test import Client

    def sign_in(user):
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
        return page

    return sign_in


@pytest.fixture
def font_starved_browser(playwright, tmp_path):
    """A second Chromium whose fontconfig sees only DejaVu (no CJK font): the negative control for the
    tofu check, showing what the page looks like where fonts-noto-cjk is missing."""
    dejavu = Path("/usr/share/fonts/truetype/dejavu")
    if not dejavu.is_dir():
        pytest.skip("没有 DejaVu 字体，无法构造缺少中文字体的对照 / DejaVu fonts missing for the control")
    config = tmp_path / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n'
        f"<fontconfig><dir>{dejavu}</dir><cachedir>{tmp_path / 'fc-cache'}</cachedir></fontconfig>\n"
    )
    chromium = launch(playwright, env={**os.environ, "FONTCONFIG_FILE": str(config)})
    yield chromium
    chromium.close()
