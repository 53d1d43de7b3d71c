"""The account forms of django.contrib.auth, drawn by the State design system."""

from django.contrib.auth import forms as auth_forms
from django.core.validators import MaxLengthValidator
from django.utils import translation
from dsfr.forms import DsfrBaseForm

from broker.selectors import preferred_language


class LoginForm(DsfrBaseForm, auth_forms.AuthenticationForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # AuthenticationForm sets the username's max_length after the field
        # is built, so no validator enforces it: a longer name reached
        # authenticate() and django-axes' 255-character column (a 500).
        field = self.fields["username"]
        field.validators.append(MaxLengthValidator(field.max_length))


class PasswordResetForm(DsfrBaseForm, auth_forms.PasswordResetForm):
    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        """The e-mail goes out in the language its recipient chose, like
        their notifications; in the page's language if they never chose."""
        language = preferred_language(context["user"]) or translation.get_language()
        with translation.override(language):
            super().send_mail(
                subject_template_name,
                email_template_name,
                context,
                from_email,
                to_email,
                html_email_template_name,
            )


class SetPasswordForm(DsfrBaseForm, auth_forms.SetPasswordForm):
    pass
