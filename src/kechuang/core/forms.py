"""Base form classes: labels end with a full-width colon, as Chinese text does (Django's zh-hans catalogue
leaves its ":" label suffix untranslated, so every label read "评价基准日:"); the date widget."""

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


class DateInput(forms.DateInput):
    """The browser's date picker. Its value must be ISO (YYYY-MM-DD): the zh-hans localised format
    (2026/12/03) leaves the picker empty, so a form showing a stored date would save it blank."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")
