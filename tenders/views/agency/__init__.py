"""The buyer's space (DESIGN §1, §4, §6): dashboard, the tender wizard, a
tender's page (live matching, shortlist, clarifications, sealed responses,
scoring, ranking, decisions) and direct purchases.

Thin views: parse a form, call ``tenders.services``, render. A DomainError
becomes a form error or a message, never a 500. Scoping goes through
``tenders.selectors``: another agency's tender or order is a 404, a person
who does not act for an agency gets a 403, an anonymous one the login page.

One module per page family: ``dashboard``, ``wizard`` (the tender wizard,
which works without JavaScript), ``tenders`` (a tender's page and its
decisions), ``orders``; ``_common`` holds what they share. The routes are
here."""

from django.urls import path

from tenders.views.agency.dashboard import dashboard, tender_list
from tenders.views.agency.orders import order_cancel, order_create, order_list
from tenders.views.agency.tenders import (
    clarification_answer,
    response_score,
    tender_award,
    tender_cancel,
    tender_detail,
    tender_matching,
    tender_publish,
    tender_unsuccessful,
)
from tenders.views.agency.wizard import tender_create, tender_edit, tender_wizard

urlpatterns = [
    path("espace-acheteur/", dashboard, name="agency-dashboard"),
    path("espace-acheteur/appels/", tender_list, name="agency-tenders"),
    path("espace-acheteur/appels/nouveau/", tender_create, name="agency-tender-create"),
    path(
        "espace-acheteur/appels/nouveau/<slug:slug>/",
        tender_wizard,
        name="agency-tender-create-step",
    ),
    path("espace-acheteur/appels/<int:pk>/", tender_detail, name="agency-tender-detail"),
    path("espace-acheteur/appels/<int:pk>/modifier/", tender_edit, name="agency-tender-edit"),
    path(
        "espace-acheteur/appels/<int:pk>/modifier/<slug:slug>/",
        tender_wizard,
        name="agency-tender-edit-step",
    ),
    path(
        "espace-acheteur/appels/<int:pk>/selection/", tender_matching, name="agency-tender-matching"
    ),
    path("espace-acheteur/appels/<int:pk>/publier/", tender_publish, name="agency-tender-publish"),
    path("espace-acheteur/appels/<int:pk>/annuler/", tender_cancel, name="agency-tender-cancel"),
    path(
        "espace-acheteur/appels/<int:pk>/infructueux/",
        tender_unsuccessful,
        name="agency-tender-unsuccessful",
    ),
    path(
        "espace-acheteur/appels/<int:pk>/attribuer/<uuid:response_id>/",
        tender_award,
        name="agency-tender-award",
    ),
    path(
        "espace-acheteur/appels/<int:pk>/reponses/<uuid:response_id>/notes/",
        response_score,
        name="agency-response-score",
    ),
    path(
        "espace-acheteur/appels/<int:pk>/questions/<int:clarification_id>/reponse/",
        clarification_answer,
        name="agency-clarification-answer",
    ),
    path("espace-acheteur/commandes/", order_list, name="agency-orders"),
    path(
        "espace-acheteur/commandes/nouvelle/<int:offer_id>/",
        order_create,
        name="agency-order-create",
    ),
    path("espace-acheteur/commandes/<int:pk>/annuler/", order_cancel, name="agency-order-cancel"),
]
