"""Cross-app endpoints: home page, dashboards dispatch, the pages every French
public website must have, token login, health check."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import i18n
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.exceptions import NotAuthenticated
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from broker import services as broker_services
from broker.authentication import ApiTokenAuthentication
from broker.models import ApiToken
from broker.selectors import organisation_of, preferred_language
from catalog.selectors import is_operator
from config.celery_app import app as celery_app
from core.parsers import BoundedJSONParser


class TokenInput(AuthTokenSerializer):
    """As DRF's, with the username bounded by the user table's column: a
    longer one cannot be an account, and django-axes would fail to record it
    (its column holds 255 characters)."""

    username = serializers.CharField(label=_("Username"), max_length=150, write_only=True)


class TokenOutput(serializers.Serializer):
    token = serializers.CharField(
        read_only=True, help_text="Shown this once: only its hash is kept."
    )


class AuthTokenView(APIView):
    """POST username and password, receive ``{"token": ...}`` for
    ``Authorization: Token ...``; DELETE with that header revokes the token.

    A token expires ``API_TOKEN_TTL_HOURS`` after issue and ends when the
    account's password changes (``broker.models.ApiToken``)."""

    authentication_classes = [ApiTokenAuthentication]
    permission_classes = []
    # Sign-in attempts are counted by django-axes, per username and address.
    throttle_classes = []
    parser_classes = [BoundedJSONParser, FormParser, MultiPartParser]
    renderer_classes = [JSONRenderer]

    def perform_authentication(self, request):
        # Signing in needs no credential, and an expired token left in the
        # client's headers must not keep it from getting a new one.
        if request.method == "DELETE":
            super().perform_authentication(request)

    @extend_schema(
        request=TokenInput,
        responses={200: TokenOutput},
        auth=[],
        description="A new token for this username and password, for `Authorization: Token "
        "<token>`. Each call issues a new one; it expires after `API_TOKEN_TTL_HOURS` (720 by "
        "default) and ends when the account's password changes.",
    )
    def post(self, request):
        # authenticate() gets Django's request, not DRF's wrapper: django-axes
        # marks a locked-out attempt on it, and its middleware then answers
        # 429 here as on the sign-in page.
        given = TokenInput(data=request.data, context={"request": request._request})
        given.is_valid(raise_exception=True)
        _token, key = broker_services.api_token_issue(user=given.validated_data["user"])
        return Response(TokenOutput({"token": key}).data)

    @extend_schema(
        request=None,
        responses={204: None},
        description="Revokes the token of the `Authorization: Token <token>` header: that "
        "token answers 401 from then on (the account's other tokens keep working).",
    )
    def delete(self, request):
        if not isinstance(request.auth, ApiToken):
            raise NotAuthenticated()
        broker_services.api_token_revoke(token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


def set_language(request):
    """The FR/EN switch: Django's own view sets the language cookie; for a
    signed-in person the choice is also recorded, so that the notifications
    and e-mails written to them from now on are in that language."""
    response = i18n.set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        broker_services.preference_language_set(user=request.user, language=language)
    return response


class LoginView(auth_views.LoginView):
    """Session login; a person who chose a language finds it again on any
    browser they sign in from."""

    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        language = preferred_language(form.get_user())
        if language:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response


def home(request):
    from catalog.views.public import catalog_figures
    from tenders.views.public import tender_figures

    return render(request, "home.html", {**catalog_figures(), **tender_figures()})


@login_required
def dashboard(request):
    """Each person lands on the dashboard of what they do (DESIGN §1)."""
    organisation = organisation_of(request.user)
    if organisation is not None and organisation.agency is not None:
        return redirect("agency-dashboard")
    if organisation is not None and organisation.provider is not None:
        return redirect("provider-dashboard")
    if is_operator(request.user):
        return redirect("operator-queue")
    messages.info(request, _("Your account is not attached to an agency or a provider yet."))
    return redirect("home")


STATIC_PAGES = {"legal", "privacy", "accessibility"}


@require_GET
def page(request, name: str):
    if name not in STATIC_PAGES:
        raise Http404
    return render(request, f"pages/{name}.html")


@require_GET
def sitemap(request):
    return render(request, "pages/sitemap.html")


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _redis() -> str:
    cache.set("healthz", "ok", 10)
    if cache.get("healthz") != "ok":
        return "redis did not return the value just written"
    return "ok"


def _worker() -> str:
    replies = celery_app.control.ping(timeout=1.0)
    if not replies:
        return "no Celery worker answered a ping within 1 s"
    return "ok"


def _probe(check) -> str:
    try:
        return check()
    except Exception as exc:  # a health probe reports every failure as text
        return f"{type(exc).__name__}: {exc}"[:300]


@never_cache
@require_GET
def healthz(request):
    report = {"database": _probe(_database), "redis": _probe(_redis), "worker": _probe(_worker)}
    healthy = all(value == "ok" for value in report.values())
    return JsonResponse(report, status=200 if healthy else 503)
