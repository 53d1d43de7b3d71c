"""The answer to a locked-out sign-in (django-axes' AXES_LOCKOUT_CALLABLE).

The sign-in page shows the DSFR page it always did; the API's token
endpoint answers in the API's error format. Both say when to try again
(``Retry-After``, RFC 9110 §10.2.3), as the API's own throttling does.
"""

from __future__ import annotations

from axes.helpers import get_cool_off, get_failure_limit
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials=None
) -> HttpResponse:
    cool_off = get_cool_off(request)
    seconds = int(cool_off.total_seconds()) if cool_off else 0
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {
                "error": {
                    "code": "locked_out",
                    "message": _(
                        "Too many failed sign-in attempts: try again in %(minutes)s minutes."
                    )
                    % {"minutes": max(1, seconds // 60)},
                }
            },
            status=429,
        )
    else:
        context = {
            "failure_limit": get_failure_limit(request, credentials),
            "cooloff_timedelta": cool_off,
        }
        response = render(request, settings.AXES_LOCKOUT_TEMPLATE, context, status=429)
    if seconds:
        response["Retry-After"] = str(seconds)
    return response
