"""The account forms of django.contrib.auth, drawn by the State design system."""

from django.contrib.auth import forms as auth_forms
from dsfr.forms import DsfrBaseForm


class LoginForm(DsfrBaseForm, auth_forms.AuthenticationForm):
    pass


class PasswordResetForm(DsfrBaseForm, auth_forms.PasswordResetForm):
    pass


class SetPasswordForm(DsfrBaseForm, auth_forms.SetPasswordForm):
    pass
