from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config import forms, views

# HTML journeys: one module per audience, each with its own `urlpatterns`
# (DESIGN §1): the public, agencies, providers and the operator.
web_modules = [
    "catalog.views.public",
    "catalog.views.provider",
    "catalog.views.operator",
    "catalog.views.declarations",
    "tenders.views.standstill",
    "tenders.views.public",
    "tenders.views.agency",
    "tenders.views.sourcing",
    "tenders.views.provider",
    "tenders.views.opendata",
    "broker.views",
]

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file: the CSP runs no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/auth/token/", views.AuthTokenView.as_view(), name="api-token"),
    path("api/v1/decp/", include("tenders.decp_urls")),
    path("api/v1/ocds/", include("tenders.ocds_urls")),
    path("api/v1/opendata/", include("catalog.opendata_urls")),
    path("api/v1/", include("catalog.urls")),
    path("api/v1/", include("tenders.urls")),
    path("api/v1/", include("broker.urls")),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("compte/connexion/", views.LoginView.as_view(form_class=forms.LoginForm), name="login"),
    path("compte/deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "compte/mot-de-passe/",
        auth_views.PasswordResetView.as_view(form_class=forms.PasswordResetForm),
        name="password_reset",
    ),
    path(
        "compte/mot-de-passe/envoye/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "compte/mot-de-passe/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(form_class=forms.SetPasswordForm),
        name="password_reset_confirm",
    ),
    path(
        "compte/mot-de-passe/termine/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("tableau-de-bord/", views.dashboard, name="dashboard"),
    path("mentions-legales/", views.page, {"name": "legal"}, name="page-legal"),
    path("donnees-personnelles/", views.page, {"name": "privacy"}, name="page-privacy"),
    path("accessibilite/", views.page, {"name": "accessibility"}, name="page-accessibility"),
    path("plan-du-site/", views.sitemap, name="page-sitemap"),
    *[path("", include(module)) for module in web_modules],
    path("", views.home, name="home"),
]

handler404 = "config.api.not_found"
handler400 = "config.api.bad_request"

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
