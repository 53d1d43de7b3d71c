"""The public side of tenders: the list of published calls and a call's
page with its need, deadline, clarifications and, once decided, its award.

Sealed responses: these pages never read responses. The only response
shown is the awarded one, through the Award, once the tender is AWARDED
(after its deadline by construction of the state machine)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django_countries import countries as iso_countries
from dsfr.forms import DsfrBaseForm

from catalog import units
from catalog.models import DataFlag, ServiceCategory
from catalog.views.public import render_swappable
from core.money import incl_vat
from core.web import breadcrumb, paginate
from tenders import selectors
from tenders.models import Award, Tender, TenderStatus

PAGE_SIZE = 20
PUBLIC = AnonymousUser()
AWARDED_STATUSES = (TenderStatus.AWARDED, TenderStatus.CONTRACT_SIGNED)
STATUS_BADGES = {
    TenderStatus.PUBLISHED: "success",
    TenderStatus.CLOSED: "info",
    TenderStatus.AWARDED: "new",
    TenderStatus.CONTRACT_SIGNED: "new",
    TenderStatus.UNSUCCESSFUL: "warning",
    TenderStatus.CANCELLED: "error",
}


def _label(row) -> str:
    return row.label_en if (get_language() or "fr")[:2] == "en" else row.label_fr


def public_tenders():
    """What anyone may see, whoever is signed in: an agency's drafts belong
    to its own dashboard, not to the public list."""
    return selectors.tenders_visible_to(PUBLIC)


class TenderSearchForm(DsfrBaseForm):
    q = forms.CharField(
        label=gettext_lazy("Keywords"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("Title, reference or buyer"),
    )
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[
            ("", gettext_lazy("Any status")),
            ("open", gettext_lazy("Open for responses")),
            *(
                (value, label)
                for value, label in TenderStatus.choices
                if value != TenderStatus.DRAFT
            ),
        ],
    )
    category = forms.ChoiceField(
        label=gettext_lazy("Service category"),
        required=False,
        choices=[("", gettext_lazy("All categories")), *ServiceCategory.choices],
    )
    level = forms.ChoiceField(label=gettext_lazy("Sensitivity level"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = [
            ("", gettext_lazy("Any level")),
            *(
                (code, f"{code} — {_label(level)}")
                for code, level in selectors.levels_by_code().items()
                if level.grantable
            ),
        ]


def _search(data: dict):
    qs = public_tenders()
    if data.get("q"):
        words = data["q"].strip()
        qs = qs.filter(
            Q(title__icontains=words)
            | Q(reference__icontains=words)
            | Q(agency__name__icontains=words)
        )
    status = data.get("status")
    if status == "open":
        qs = qs.filter(status=TenderStatus.PUBLISHED, response_deadline__gt=timezone.now())
    elif status:
        qs = qs.filter(status=status)
    if data.get("category"):
        qs = qs.filter(category=data["category"])
    if data.get("level"):
        qs = qs.filter(level=data["level"])
    return qs.order_by("-published_at", "-id")


def _decorate(tender: Tender, levels: dict) -> None:
    level = levels.get(tender.level)
    tender.level_label = _label(level) if level else ""
    tender.status_badge = STATUS_BADGES.get(tender.status, "info")
    tender.category_label = (
        ServiceCategory(tender.category).label
        if tender.category in ServiceCategory.values
        else tender.category
    )
    tender.unit_label = (
        units.UNITS[tender.unit].label if tender.unit in units.UNITS else tender.unit
    )
    tender.open_now = (
        tender.status == TenderStatus.PUBLISHED and tender.response_deadline > timezone.now()
    )


@require_GET
def tender_list(request):
    form = TenderSearchForm(request.GET)
    context = {"form": form, "page": None, "breadcrumb_data": breadcrumb(_("Tenders"))}
    if form.is_valid():
        page = paginate(request, _search(form.cleaned_data), per_page=PAGE_SIZE, on_each_side=2)
        levels = selectors.levels_by_code()
        for tender in page.object_list:
            _decorate(tender, levels)
        context["page"] = page
    return render_swappable(
        request, "tenders/public/tender_list.html", "tenders/public/_tender_area.html", context
    )


def _award_of(tender: Tender) -> Award | None:
    """The award, public once the tender is AWARDED (never before its
    deadline: only a CLOSED tender can be awarded) and after."""
    if tender.status not in AWARDED_STATUSES:
        return None
    return (
        Award.objects.select_related("response__provider", "response__offer")
        .filter(tender=tender)
        .first()
    )


@require_GET
def tender_detail(request, pk: int):
    tender = get_object_or_404(public_tenders(), pk=pk)
    levels = selectors.levels_by_code()
    _decorate(tender, levels)
    required = selectors.required_level(
        agency=tender.agency, level=tender.level, flags=list(tender.flags), levels=levels
    )
    award = _award_of(tender)
    clarifications = [c for c in selectors.clarifications_of(tender) if c.answer]
    return render(
        request,
        "tenders/public/tender_detail.html",
        {
            "tender": tender,
            "required_level": required,
            "required_level_label": _label(required),
            "raised": required.code != tender.level,
            "flag_labels": [_label(f) for f in DataFlag.objects.filter(code__in=tender.flags)],
            "location_label": (
                _("European Union")
                if tender.location_constraint == "EU"
                else iso_countries.name(tender.location_constraint) or tender.location_constraint
            ),
            "estimated_value_incl_vat": incl_vat(tender.estimated_value),
            "clarifications": clarifications,
            "award": award,
            "award_incl_vat": incl_vat(award.amount) if award else None,
            "time_zone": settings.TIME_ZONE,
            "breadcrumb_data": breadcrumb(
                tender.reference, (reverse("tender-public-list"), _("Tenders"))
            ),
        },
    )


def tender_figures() -> dict:
    return {
        "figure_open_tenders": public_tenders()
        .filter(status=TenderStatus.PUBLISHED, response_deadline__gt=timezone.now())
        .count()
    }


urlpatterns = [
    path("appels-offres/", tender_list, name="tender-public-list"),
    path("appels-offres/<int:pk>/", tender_detail, name="tender-public-detail"),
]
