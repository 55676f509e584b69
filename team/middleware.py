"""The language each page speaks: the person's choice, never the browser's."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation


def request_language(request) -> str:
    """A signed-in person's stored language; before sign-in, the choice made on the login page (a
    cookie), else Chinese. The browser's Accept-Language is not consulted: a Chinese team's tool stays
    Chinese on an English browser unless the person asks otherwise."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user.language
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    return chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


class PersonLanguageMiddleware:
    """In place of Django's LocaleMiddleware (which follows Accept-Language); after the authentication
    middleware, which it reads. API calls signed with a token get the person's language in
    ``team.api.authentication``, since DRF signs them in only inside the view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        translation.activate(request_language(request))
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", translation.get_language())
        return response
