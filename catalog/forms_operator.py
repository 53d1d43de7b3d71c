"""The operator console's forms: they parse what the operator typed; the
decisions and their rules (a reason is due to reject, revoke or suspend)
stay in ``catalog.services``."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from dsfr.forms import DsfrBaseForm

from catalog.models import (
    Certification,
    CertificationStatus,
    CertificationVerification,
    ProviderStatus,
)


def _any(choices) -> list[tuple[str, str]]:
    return [("", _("Any")), *choices]


class CertificationFilterForm(DsfrBaseForm):
    """The queue shows pending certificates by default; the operator can
    also list verified ones (to revoke or suspend them later) or rejected."""

    verification = forms.ChoiceField(
        label=_("Verification"), required=False, choices=_any(CertificationVerification.choices)
    )
    status = forms.ChoiceField(
        label=_("Certificate status"), required=False, choices=_any(CertificationStatus.choices)
    )
    q = forms.CharField(label=_("Provider or reference"), required=False, max_length=100)

    def clean_q(self) -> str:
        return self.cleaned_data["q"].strip()


class Decision:
    VERIFY = "verify"
    REJECT = "reject"
    SUSPEND = "suspend"
    REVOKE = "revoke"

    LABELS = {
        VERIFY: _("Verify the evidence"),
        REJECT: _("Reject the evidence"),
        SUSPEND: _("Suspend the certificate"),
        REVOKE: _("Revoke the certificate"),
    }


def decisions_open_to(certification: Certification) -> list[str]:
    """What the operator may still decide on this certificate. A revoked
    certificate is final (the service refuses to verify it)."""
    if certification.status == CertificationStatus.REVOKED:
        return []
    open_ = []
    if certification.verification != Certification.Verification.VERIFIED:
        open_.append(Decision.VERIFY)
    if certification.verification != Certification.Verification.REJECTED:
        open_.append(Decision.REJECT)
    if certification.status != CertificationStatus.SUSPENDED:
        open_.append(Decision.SUSPEND)
    open_.append(Decision.REVOKE)
    return open_


class CertificationDecisionForm(DsfrBaseForm):
    decision = forms.ChoiceField(label=_("Decision"), widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=500,
        help_text=_("Required to reject, suspend or revoke; the provider sees it."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, decisions: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decision"].choices = [(d, Decision.LABELS[d]) for d in decisions]


class ProviderFilterForm(DsfrBaseForm):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=_any(ProviderStatus.choices)
    )
    q = forms.CharField(label=_("Name or SIREN"), required=False, max_length=100)

    def clean_q(self) -> str:
        return self.cleaned_data["q"].strip()


class ProviderStatusForm(DsfrBaseForm):
    """The action is posted explicitly, so that a second click on a stale
    page repeats the decision (a no-op) instead of undoing it."""

    action = forms.ChoiceField(
        choices=[("suspend", "suspend"), ("reactivate", "reactivate")], widget=forms.HiddenInput
    )
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=300, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, suspending: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].help_text = (
            _("Required: the provider and its offers leave the marketplace until reactivated.")
            if suspending
            else _("Optional: why the provider is back.")
        )
