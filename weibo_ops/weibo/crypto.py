"""Encryption at rest for Weibo tokens (cryptography's Fernet: AES-128-CBC with HMAC-SHA256).

``WEIBO_TOKEN_KEYS`` holds one or more keys: the first encrypts, all decrypt, so a key can be rotated
by putting the new key first and re-saving (``MultiFernet.rotate``) before the old one is dropped.
"""

from __future__ import annotations

import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@functools.cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def encrypt(plain: str) -> str:
    return _fernet(tuple(settings.WEIBO_TOKEN_KEYS)).encrypt(plain.encode()).decode()


def decrypt(cipher: str) -> str:
    try:
        return _fernet(tuple(settings.WEIBO_TOKEN_KEYS)).decrypt(cipher.encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured(
            "A stored Weibo token cannot be decrypted with WEIBO_TOKEN_KEYS: the key that encrypted it "
            "is missing from the list (keep old keys after the new one while rotating)."
        ) from None


class EncryptedTextField(models.TextField):
    """Text stored encrypted; Python code sees plain text. Not searchable, by design."""

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(value) if value else value
