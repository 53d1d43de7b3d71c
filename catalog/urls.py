from rest_framework.routers import DefaultRouter

from catalog import api

router = DefaultRouter()
router.register("providers", api.ProviderViewSet, basename="provider")
router.register("offers", api.OfferViewSet, basename="offer")
router.register("certifications", api.CertificationViewSet, basename="certification")
router.register("policy", api.PolicyViewSet, basename="policy")

urlpatterns = router.urls
