from django.contrib import admin
from django.db.models import Q

from tenders.models import (
    Agency,
    AgencyMembership,
    Award,
    Clarification,
    Invitation,
    Order,
    ShortlistEntry,
    SourcingFile,
    Tender,
    TenderResponse,
    TenderStatus,
)
from tenders.selectors import SEALED_STATUSES


class MembershipInline(admin.TabularInline):
    model = AgencyMembership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "siret", "buyer_category"]
    inlines = [MembershipInline]


class ShortlistInline(admin.TabularInline):
    model = ShortlistEntry
    extra = 0
    readonly_fields = ["offer", "rank", "score", "estimated_cost", "warnings", "computed_at"]
    can_delete = False


@admin.register(Tender)
class TenderAdmin(admin.ModelAdmin):
    list_display = [
        "reference",
        "title",
        "agency",
        "level",
        "status",
        "matching_state",
        "response_deadline",
    ]
    list_filter = ["status", "level", "matching_state"]
    search_fields = ["reference", "title"]
    inlines = [ShortlistInline]
    # The lifecycle goes through tenders.services only.
    readonly_fields = [
        "status",
        "status_reason",
        "published_at",
        "closed_at",
        "decided_at",
        "matching_state",
        "matching_queued_at",
        "matching_started_at",
        "matching_finished_at",
        "matching_error",
        "procedure",
        "reference",
    ]

    def get_readonly_fields(self, request, obj=None):
        # Once published, a tender is a public commitment: nothing changes
        # outside the services, least of all its deadline.
        if obj is not None and obj.status != TenderStatus.DRAFT:
            return [f.name for f in obj._meta.fields]
        return self.readonly_fields


@admin.register(TenderResponse)
class TenderResponseAdmin(admin.ModelAdmin):
    """Only the operator (staff) reaches the admin; responses stay read-only."""

    list_display = ["tender", "provider", "status", "submitted_at", "receipt_sha256"]
    readonly_fields = [f.name for f in TenderResponse._meta.fields]

    def has_add_permission(self, request):
        return False

    def get_queryset(self, request):
        # Sealed for the operator too until the deadline closes the tender
        # (tenders.selectors.responses_sealed): neither listed nor counted.
        return (
            super()
            .get_queryset(request)
            .exclude(Q(tender__status__in=SEALED_STATUSES) | Q(tender__closed_at__isnull=True))
        )


class ReadOnlyAdmin(admin.ModelAdmin):
    """Awards, orders, invitations and clarifications change only through
    tenders.services (transition tables, audit chain): the console shows them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Award)
class AwardAdmin(ReadOnlyAdmin):
    list_display = ["tender", "response", "amount", "awarded_at"]


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = ["reference", "agency", "provider", "total", "status", "placed_at"]
    list_filter = ["status"]


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = ["tender", "provider", "created_at"]


@admin.register(Clarification)
class ClarificationAdmin(ReadOnlyAdmin):
    list_display = ["tender", "created_at", "answered_at"]


@admin.register(SourcingFile)
class SourcingFileAdmin(ReadOnlyAdmin):
    """Read only: a locked file is a procurement record (the database
    refuses any change of it anyway)."""

    list_display = [
        "name",
        "agency",
        "created_at",
        "locked_at",
        "policy_version",
        "snapshot_sha256",
    ]
    list_filter = [("locked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "agency__name", "snapshot_sha256"]
