from django.contrib import admin

from tenders.models import (
    Agency,
    AgencyMembership,
    Award,
    Clarification,
    Invitation,
    Order,
    ShortlistEntry,
    Tender,
    TenderResponse,
)


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
    list_display = ["reference", "title", "agency", "level", "status", "matching_state", "response_deadline"]
    list_filter = ["status", "level", "matching_state"]
    search_fields = ["reference", "title"]
    inlines = [ShortlistInline]
    # The lifecycle goes through tenders.services only.
    readonly_fields = ["status", "status_reason", "published_at", "closed_at", "decided_at", "matching_state",
                       "matching_queued_at", "matching_started_at", "matching_finished_at", "matching_error",
                       "procedure", "reference"]


@admin.register(TenderResponse)
class TenderResponseAdmin(admin.ModelAdmin):
    """Only the operator (staff) reaches the admin; responses stay read-only."""

    list_display = ["tender", "provider", "status", "submitted_at", "receipt_sha256"]
    readonly_fields = [f.name for f in TenderResponse._meta.fields]

    def has_add_permission(self, request):
        return False


for model in (Award, Clarification, Invitation, Order):
    admin.site.register(model)
