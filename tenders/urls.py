from rest_framework.routers import DefaultRouter

from tenders import api

router = DefaultRouter()
router.register("agencies", api.AgencyViewSet, basename="agency")
router.register("tenders", api.TenderViewSet, basename="tender")
router.register("awards", api.AwardViewSet, basename="award")
router.register("orders", api.OrderViewSet, basename="order")

urlpatterns = router.urls
