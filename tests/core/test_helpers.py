"""core's shared helpers: money, months, uploads, HTML error mapping."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory

from core import dates, money, uploads, web
from core.errors import DomainError

PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.parametrize(
    ("excl", "exponent", "incl"),
    [
        (Decimal("100"), money.CENT, Decimal("120.00")),
        # Half-up, not Python's half-even: 0.0375 * 1.2 = 0.045 -> 0.05 (half-even: 0.04).
        (Decimal("0.0375"), money.CENT, Decimal("0.05")),
        (Decimal("0.0300"), money.UNIT_PRICE_EXPONENT, Decimal("0.0360")),
        (Decimal("0.0070"), money.UNIT_PRICE_EXPONENT, Decimal("0.0084")),
    ],
)
def test_it_adds_vat_rounding_half_up_to_the_exponent(settings, excl, exponent, incl):
    settings.VAT_RATE = Decimal("0.20")
    assert money.incl_vat(excl, exponent=exponent) == incl


def test_it_has_no_vat_for_no_amount():
    assert money.incl_vat(None) is None


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 8, 15), 6, date(2027, 2, 15)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
    ],
)
def test_it_adds_calendar_months(start, months, end):
    assert dates.add_months(start, months) == end


def test_it_keeps_the_wall_clock_time_in_paris_across_a_change_of_offset():
    # 10:00 in winter (UTC+1) + 6 months is 10:00 in summer (UTC+2).
    start = datetime(2026, 1, 31, 10, 0, tzinfo=PARIS)
    end = dates.add_months(start, 6)
    assert end.astimezone(PARIS).replace(tzinfo=None) == datetime(2026, 7, 31, 10, 0)


def test_it_accepts_a_pdf_and_renames_it(settings):
    settings.EVIDENCE_MAX_BYTES = 1000
    upload = SimpleUploadedFile("../../etc/passwd.pdf", b"%PDF-1.7 body")
    digest = uploads.upload_accept("evidence", upload)
    assert len(digest) == 64
    assert upload.name.endswith(".pdf") and "passwd" not in upload.name


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"<html>not a pdf</html>", "PDF, PNG or JPEG"), (b"%PDF-" + b"x" * 2000, "exceeds")],
)
def test_it_refuses_a_file_by_content_or_size(settings, content, message):
    settings.EVIDENCE_MAX_BYTES = 1000

    class OwnError(DomainError):
        pass

    with pytest.raises(OwnError) as refused:
        uploads.upload_check("evidence", SimpleUploadedFile("x.pdf", content), error=OwnError)
    assert message in refused.value.fields["evidence"][0]


class PriceForm(forms.Form):
    unit_price = forms.DecimalField()
    name = forms.CharField()


def test_it_places_a_refusal_on_its_field_and_the_rest_on_top():
    form = PriceForm(data={"unit_price": "1", "name": "x"})
    form.is_valid()
    error = DomainError(
        "Refused.", fields={"unit_price": ["Too high."], "elsewhere": ["Not a field."]}
    )
    web.domain_error_to_form(error, form)
    assert form.errors["unit_price"] == ["Too high."]
    # What has no field of its own goes on top, after the error's message.
    assert form.non_field_errors() == ["Refused.", "Not a field."]


def test_it_says_a_one_field_refusal_once_when_the_form_lacks_the_field():
    form = PriceForm(data={"unit_price": "1", "name": "x"})
    form.is_valid()
    web.domain_error_to_form(DomainError("Too late.", fields={"deadline": ["Too late."]}), form)
    assert form.non_field_errors() == ["Too late."]


def test_it_places_a_refusal_without_fields_on_top():
    form = PriceForm(data={"unit_price": "1", "name": "x"})
    form.is_valid()
    web.domain_error_to_form(DomainError("Refused."), form)
    assert form.non_field_errors() == ["Refused."]


def test_it_paginates_forgivingly():
    request = RequestFactory().get("/?page=999")
    page = web.paginate(request, list(range(30)), per_page=10)
    assert page.number == 3
    assert list(page.pages_list) == [1, 2, 3]


@pytest.mark.parametrize(
    ("content", "served"),
    [
        (b"%PDF-1.7 body", ("application/pdf", ".pdf")),
        (b"\x89PNG\r\n\x1a\n", ("image/png", ".png")),
        (b"<html>named .pdf</html>", ("application/octet-stream", ".bin")),
    ],
)
def test_it_types_a_stored_proof_by_its_first_bytes(content, served):
    assert uploads.upload_type(SimpleUploadedFile("x.pdf", content)) == served
