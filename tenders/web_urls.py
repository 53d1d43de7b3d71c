"""HTML routes of the demand side (included at the site root)."""

from django.urls import path

from tenders import views

urlpatterns = [
    path("donnees-ouvertes/", views.open_data, name="open-data"),
    path("donnees-ouvertes/decp.json", views.open_data_decp, name="open-data-decp"),
    path("acheteurs/<slug:slug>/", views.agency_page, name="agency-page"),
    path("acheteurs/<slug:slug>/decp.json", views.agency_page_decp, name="agency-page-decp"),
]
