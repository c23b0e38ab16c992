"""Password rules, with the platform's own Chinese messages (Django's read in English outside a request).

At least 10 characters, three of four character classes, not like the username or name, not a common
password, not all digits. Configured in settings.AUTH_PASSWORD_VALIDATORS.
"""

from __future__ import annotations

from django.contrib.auth import password_validation as django_validators
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class MinimumLengthValidator(django_validators.MinimumLengthValidator):
    def validate(self, password, user=None):
        if len(password) < self.min_length:
            raise ValidationError(
                _("密码太短：至少需要 %(n)s 个字符。") % {"n": self.min_length}, code="password_too_short"
            )

    def get_help_text(self):
        return _("密码至少 %(n)s 个字符。") % {"n": self.min_length}


class CharacterClassValidator:
    def validate(self, password, user=None):
        classes = [
            any(c.isupper() for c in password),
            any(c.islower() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
        if sum(classes) < 3:
            raise ValidationError(
                _("密码须至少包含大写字母、小写字母、数字、符号中的三类。"),
                code="password_too_simple",
            )

    def get_help_text(self):
        return _("至少包含大写字母、小写字母、数字、符号中的三类。")


class UserAttributeSimilarityValidator(django_validators.UserAttributeSimilarityValidator):
    DEFAULT_USER_ATTRIBUTES = ("username", "display_name", "first_name", "last_name", "email")

    def validate(self, password, user=None):
        try:
            super().validate(password, user)
        except ValidationError:
            raise ValidationError(_("密码与用户名或姓名太相似。"), code="password_too_similar") from None

    def get_help_text(self):
        return _("不能与用户名或姓名相似。")


class CommonPasswordValidator(django_validators.CommonPasswordValidator):
    def validate(self, password, user=None):
        try:
            super().validate(password, user)
        except ValidationError:
            raise ValidationError(_("密码过于常见，容易被猜中。"), code="password_too_common") from None

    def get_help_text(self):
        return _("不能是常见密码。")


class NumericPasswordValidator(django_validators.NumericPasswordValidator):
    def validate(self, password, user=None):
        if password.isdigit():
            raise ValidationError(_("密码不能全为数字。"), code="password_entirely_numeric")

    def get_help_text(self):
        return _("不能全为数字。")
