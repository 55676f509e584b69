"""API sign-in that also speaks the person's language."""

from __future__ import annotations

from django.utils import translation
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication


class PersonTokenAuthentication(TokenAuthentication):
    """knox's token sign-in; the answer (field errors, refusals) is then in the person's language, as
    pages are. Session-signed calls already have it from ``team.middleware``."""

    def authenticate(self, request):
        signed_in = super().authenticate(request)
        if signed_in is not None:
            translation.activate(signed_in[0].language)
        return signed_in


class PersonTokenScheme(KnoxTokenScheme):
    """The API schema describes this sign-in as knox's token (drf-spectacular matches exact classes)."""

    target_class = "team.api.authentication.PersonTokenAuthentication"
