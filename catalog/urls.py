from django.urls import path
from rest_framework.routers import DefaultRouter

from catalog import api

router = DefaultRouter()
router.register("providers", api.ProviderViewSet, basename="provider")
router.register("offers", api.OfferViewSet, basename="offer")
router.register("certifications", api.CertificationViewSet, basename="certification")
router.register("declarations", api.DeclarationViewSet, basename="declaration")
router.register("attestations", api.AttestationViewSet, basename="attestation")

urlpatterns = [
    path("policy/", api.PolicyView.as_view(), name="policy"),
    *router.urls,
]
