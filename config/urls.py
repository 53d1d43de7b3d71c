from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/auth/token/", views.AuthTokenView.as_view(), name="api-token"),
    path("api/v1/decp/", include("tenders.api_decp")),
    path("api/v1/ocds/", include("tenders.ocds_urls")),
    path("api/v1/opendata/", include("catalog.opendata_urls")),
    path("api/v1/", include("catalog.urls")),
    path("api/v1/", include("tenders.urls")),
    path("api/v1/", include("broker.urls")),
    path("", include("tenders.web_urls")),
    path("", views.home, name="home"),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
