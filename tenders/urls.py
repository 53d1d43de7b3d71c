from django.urls import path
from rest_framework.routers import DefaultRouter

from tenders import api

router = DefaultRouter()
router.register("agencies", api.AgencyViewSet, basename="agency")
router.register("tenders", api.TenderViewSet, basename="tender")
router.register("awards", api.AwardViewSet, basename="award")
router.register("orders", api.OrderViewSet, basename="order")
router.register("sourcing-files", api.SourcingFileViewSet, basename="sourcing-file")

urlpatterns = [
    path(
        "sourcing-files/<int:pk>/export.csv",
        api.SourcingFileExportView.as_view(),
        name="sourcing-file-export-csv",
    ),
    *router.urls,
]
