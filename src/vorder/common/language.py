"""The staff user's own language wins over the browser's (set in the workspace, kept per user)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation


class StaffLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            preference = getattr(user, "vorder_preference", None)
            if preference is not None:
                translation.activate(preference.language)
                request.LANGUAGE_CODE = preference.language  # type: ignore[attr-defined]
        return self.get_response(request)
