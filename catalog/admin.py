"""The operator's console: certificate verification queue, provider
suspension, and the policy tables. Decisions go through the services, which
record who did what and when and re-assess the affected offers."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.utils.html import format_html_join

from catalog import services
from catalog.models import (
    BuyerCategory,
    Certification,
    CertificationScheme,
    DataFlag,
    LevelCertificationRequirement,
    Offer,
    OfferAssessment,
    OperatorAction,
    OwnershipStake,
    PolicyVersion,
    Provider,
    ProviderMembership,
    SchemeEquivalence,
    SchemeVersionSunset,
    SensitivityLevel,
    Subcontractor,
)
from catalog.texts import check_reason


class ReasonActionForm(ActionForm):
    reason = forms.CharField(
        required=False, max_length=500, label="Reason (reject, revoke, suspend)"
    )


def _each(modeladmin, request, queryset, service, success: str, **kwargs):
    done = 0
    for obj in queryset:
        try:
            service(actor=request.user, **{modeladmin.service_arg: obj}, **kwargs)
            done += 1
        except services.CatalogError as exc:
            modeladmin.message_user(request, f"{obj}: {exc.message}", messages.ERROR)
    if done:
        modeladmin.message_user(request, f"{done} {success}.", messages.SUCCESS)


# --------------------------------------------------------------------------
# Certifications: the verification queue


@admin.register(Certification)
class CertificationAdmin(admin.ModelAdmin):
    service_arg = "certification"
    action_form = ReasonActionForm
    list_display = [
        "reference",
        "scheme",
        "scheme_version",
        "provider",
        "status",
        "verification",
        "expires_on",
        "verified_by",
        "verified_at",
    ]
    list_filter = ["verification", "status", "scheme"]
    search_fields = ["reference", "provider__name"]
    readonly_fields = [
        "evidence_sha256",
        "verification",
        "verified_by",
        "verified_at",
        "verification_reason",
        "status",
    ]
    filter_horizontal = ["scope_offers"]
    actions = ["verify", "reject", "revoke", "suspend"]
    ordering = ["verification", "-created_at"]

    def _reason(self, request) -> str:
        return request.POST.get("reason", "")

    @admin.action(description="Verify the evidence of the selected certificates")
    def verify(self, request, queryset):
        _each(self, request, queryset, services.certification_verify, "certificate(s) verified")

    @admin.action(description="Reject the evidence (give a reason)")
    def reject(self, request, queryset):
        _each(
            self,
            request,
            queryset,
            services.certification_reject,
            "certificate(s) rejected",
            reason=self._reason(request),
        )

    @admin.action(description="Revoke the selected certificates (give a reason)")
    def revoke(self, request, queryset):
        _each(
            self,
            request,
            queryset,
            services.certification_revoke,
            "certificate(s) revoked",
            reason=self._reason(request),
        )

    @admin.action(description="Suspend the selected certificates (give a reason)")
    def suspend(self, request, queryset):
        _each(
            self,
            request,
            queryset,
            services.certification_suspend,
            "certificate(s) suspended",
            reason=self._reason(request),
        )

    def save_related(self, request, form, formsets, change):
        # Direct edits by the operator still re-assess what they touch.
        super().save_related(request, form, formsets, change)
        offer_ids = list(form.instance.scope_offers.values_list("pk", flat=True))
        services.assessment_request(offer_ids=offer_ids, reason="operator_edit")


# --------------------------------------------------------------------------
# Providers


class StakeInline(admin.TabularInline):
    model = OwnershipStake
    extra = 0


class MembershipInline(admin.TabularInline):
    model = ProviderMembership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    service_arg = "provider"
    action_form = ReasonActionForm
    list_display = ["name", "siren", "registered_office_country", "status", "is_sme"]
    list_filter = ["status", "registered_office_country", "is_sme"]
    search_fields = ["name", "siren", "vat_number"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["status", "status_reason", "status_changed_at", "status_changed_by"]
    inlines = [StakeInline, MembershipInline]
    actions = ["suspend", "reactivate"]

    @admin.action(description="Suspend the selected providers (give a reason)")
    def suspend(self, request, queryset):
        _each(
            self,
            request,
            queryset,
            services.provider_suspend,
            "provider(s) suspended",
            reason=request.POST.get("reason", ""),
        )

    @admin.action(description="Reactivate the selected providers")
    def reactivate(self, request, queryset):
        _each(
            self,
            request,
            queryset,
            services.provider_reactivate,
            "provider(s) reactivated",
            reason=request.POST.get("reason", ""),
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.assessment_request(
            offer_ids=list(form.instance.offers.values_list("pk", flat=True)),
            reason="operator_edit",
        )


# --------------------------------------------------------------------------
# Offers and assessments (read mostly)


class SubcontractorInline(admin.TabularInline):
    model = Subcontractor
    fk_name = "offer"
    extra = 0
    raw_id_fields = ["catalog_offer"]


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    service_arg = "offer"
    list_display = ["name", "provider", "category", "unit", "unit_price", "status", "level"]
    list_filter = ["status", "category", "assessment__level"]
    search_fields = ["name", "provider__name"]
    list_select_related = ["provider", "assessment"]
    inlines = [SubcontractorInline]
    # The status moves through the services' transition (which audits it),
    # never through the form.
    readonly_fields = [
        "status",
        "normalised_unit",
        "normalised_price",
        "data_countries",
        "explanation",
    ]
    actions = ["publish", "withdraw"]

    @admin.action(description="Publish the selected offers")
    def publish(self, request, queryset):
        _each(self, request, queryset, services.offer_publish, "offer(s) published")

    @admin.action(description="Withdraw the selected offers")
    def withdraw(self, request, queryset):
        _each(self, request, queryset, services.offer_withdraw, "offer(s) withdrawn")

    @admin.display(description="Level")
    def level(self, obj):
        assessment = getattr(obj, "assessment", None)
        return assessment.level if assessment else "—"

    @admin.display(description="Assessment")
    def explanation(self, obj):
        assessment = getattr(obj, "assessment", None)
        if not assessment:
            return "not assessed yet"
        return format_html_join(
            "\n",
            "<div>{} {} — {}: {}</div>",
            (
                (
                    c.get("level") or c.get("flag"),
                    "✔" if c["passed"] else "✘",
                    c["rule"],
                    check_reason(c),
                )
                for c in assessment.checks
            ),
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.offer_refresh_derived(offer=form.instance)
        services.assessment_request(offer_ids=[form.instance.pk], reason="operator_edit")


@admin.register(OfferAssessment)
class OfferAssessmentAdmin(admin.ModelAdmin):
    list_display = ["offer", "level", "flags", "policy_version", "assessed_at"]
    list_filter = ["level", "policy_version"]
    readonly_fields = [f.name for f in OfferAssessment._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(OperatorAction)
class OperatorActionAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor", "action", "object_type", "object_id", "reason"]
    list_filter = ["action"]
    readonly_fields = [f.name for f in OperatorAction._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --------------------------------------------------------------------------
# The policy tables: every saved edit is a new policy version


class PolicyAdmin(admin.ModelAdmin):
    def _bump(self, request, what: str):
        services.policy_version_bump(actor=request.user, note=what)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        self._bump(
            request,
            f"{'edit' if change else 'add'} {form.instance._meta.model_name} {form.instance}",
        )

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        self._bump(request, f"delete {obj._meta.model_name} {obj}")


class RequirementInline(admin.TabularInline):
    model = LevelCertificationRequirement
    extra = 0


@admin.register(SensitivityLevel)
class SensitivityLevelAdmin(PolicyAdmin):
    list_display = ["code", "rank", "label_fr", "data_zone", "requires_eu_control", "grantable"]
    inlines = [RequirementInline]


@admin.register(DataFlag)
class DataFlagAdmin(PolicyAdmin):
    list_display = ["code", "label_fr", "storage_zone", "required_scheme", "required_min_version"]


@admin.register(BuyerCategory)
class BuyerCategoryAdmin(PolicyAdmin):
    list_display = ["code", "label_fr", "health_min_level"]


class SunsetInline(admin.TabularInline):
    model = SchemeVersionSunset
    extra = 0


@admin.register(CertificationScheme)
class CertificationSchemeAdmin(PolicyAdmin):
    list_display = ["code", "name", "issuer", "validity_months"]
    inlines = [SunsetInline]


@admin.register(SchemeEquivalence)
class SchemeEquivalenceAdmin(PolicyAdmin):
    list_display = ["scheme", "counts_as", "counts_as_version", "note"]


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin):
    list_display = ["number", "created_at", "created_by", "note"]
    readonly_fields = ["number", "created_at", "created_by", "note"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
