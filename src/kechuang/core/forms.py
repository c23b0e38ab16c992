"""Base form classes: labels end with a full-width colon, as Chinese text does (Django's zh-hans catalogue
leaves its ":" label suffix untranslated, so every label read "评价基准日:")."""

from __future__ import annotations

from django import forms

LABEL_SUFFIX = "："


class Form(forms.Form):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", LABEL_SUFFIX)
        super().__init__(*args, **kwargs)


class ModelForm(forms.ModelForm):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", LABEL_SUFFIX)
        super().__init__(*args, **kwargs)
