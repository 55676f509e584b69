from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.utils import timezone

from positioning.models import WeiboConnection


def stored_token(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT access_token FROM positioning_weiboconnection WHERE id = %s", [pk])
        return cursor.fetchone()[0]


@pytest.fixture
def connection_row(demo):
    return WeiboConnection.objects.create(account=demo.accounts["鲜牧乳业"], uid="5500000001",
                                          access_token="2.00secret-token", connected_at=timezone.now())


def test_tokens_are_encrypted_at_rest(connection_row):
    raw = stored_token(connection_row.pk)
    assert "secret-token" not in raw and raw.startswith("gAAAA")  # a Fernet token
    assert WeiboConnection.objects.get(pk=connection_row.pk).access_token == "2.00secret-token"


def test_keys_rotate_new_first_old_still_reads(connection_row, settings):
    old = settings.WEIBO_TOKEN_KEYS[0]
    settings.WEIBO_TOKEN_KEYS = [Fernet.generate_key().decode(), old]
    assert WeiboConnection.objects.get(pk=connection_row.pk).access_token == "2.00secret-token"


def test_a_missing_key_says_what_to_do(connection_row, settings):
    settings.WEIBO_TOKEN_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(ImproperlyConfigured, match="WEIBO_TOKEN_KEYS"):
        WeiboConnection.objects.get(pk=connection_row.pk)
