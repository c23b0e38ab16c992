"""Every form of the project labels its fields the Chinese way: "用户名：", never "用户名:"."""

from __future__ import annotations

import importlib
import pkgutil

from django import forms
from django.urls import reverse

import kechuang
from kechuang.core import forms as base


def _project_forms() -> list[type]:
    for info in pkgutil.walk_packages(kechuang.__path__, "kechuang."):
        if ".migrations" not in info.name and not info.name.endswith(("wsgi", "asgi")):
            importlib.import_module(info.name)
    found, stack = [], [forms.Form, forms.ModelForm]
    while stack:
        for sub in stack.pop().__subclasses__():
            stack.append(sub)
            if sub.__module__.startswith("kechuang.") and sub.__module__ != base.__name__ and sub not in found:
                found.append(sub)
    return found


def test_every_project_form_derives_from_the_chinese_label_base():
    found = _project_forms()
    assert len(found) >= 18  # the walk found the forms (a broken walk would pass vacuously)
    assert [c.__qualname__ for c in found if not issubclass(c, (base.Form, base.ModelForm))] == []


def test_labels_end_with_a_full_width_colon(client):
    html = client.get(reverse("accounts:login")).content.decode()
    assert "用户名：</label>" in html and "用户名:</label>" not in html
    from kechuang.enterprises.forms import QualificationForm  # a model form

    assert QualificationForm().label_suffix == "："
