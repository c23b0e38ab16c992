"""Password rule: at least three of four character classes (upper, lower, digit, symbol)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


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
                _("密码须至少包含大写字母、小写字母、数字、符号中的三类。"), code="password_too_simple",
            )

    def get_help_text(self):
        return _("密码长度至少 10 位，且至少包含大写字母、小写字母、数字、符号中的三类。")
