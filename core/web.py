"""What every HTML view shares: the role decorators' one calling style,
pagination, breadcrumbs and the one mapping of a DomainError onto a form or
a message."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.functional import Promise

from core.errors import DomainError

View = Callable[..., HttpResponse]


def role_required(
    resolve: Callable[[Any], Any],
    *,
    attribute: str,
    denied: str | Promise | None = None,
) -> Callable[[View], View]:
    """A decorator for the views of one audience: anonymous visitors go to
    the login page; a signed-in person for whom ``resolve(user)`` is None
    gets a 403 with ``denied`` (or a 404 when ``denied`` is None, for spaces
    whose existence is not shown). The view receives what ``resolve``
    returned as ``request.<attribute>`` (e.g. ``request.provider``)."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            found = resolve(request.user)
            if found is None or found is False:
                if denied is None:
                    raise Http404
                raise PermissionDenied(denied)
            setattr(request, attribute, found)
            return view(request, *args, **kwargs)

        return login_required(wrapper)

    return decorator


def paginate(
    request: HttpRequest, items: Any, *, per_page: int, param: str = "page", on_each_side: int = 1
) -> Page:
    """A page of ``items``; a bad ``?page=`` falls back to the first or the
    last page instead of failing. ``page.pages_list`` is the elided page list
    the DSFR pagination component draws."""
    paginator = Paginator(items, per_page)
    page = paginator.get_page(request.GET.get(param))
    # An attribute of our own on Django's Page, read by the template.
    page.pages_list = list(  # type: ignore[attr-defined]
        paginator.get_elided_page_range(page.number, on_each_side=on_each_side, on_ends=1)
    )
    return page


def breadcrumb(current: str, *links: tuple[str, str]) -> dict:
    """The DSFR breadcrumb's context (it adds the home page itself)."""
    return {"links": [{"url": url, "title": title} for url, title in links], "current": current}


# ``stakes[1].holder_name``: a field of the second row of a list.
ROW_FIELD = re.compile(r"^(\w+)\[(\d+)\]\.(\w+)$")


def domain_error_to_form(
    error: DomainError, form: forms.BaseForm, rows: dict[str, tuple[Any, list]] | None = None
) -> None:
    """Show a service's refusal where it belongs: ``unit_price`` on its
    field, ``stakes[1].holder_name`` on the second submitted row of the
    ``stakes`` formset, ``stakes`` on the formset. Whatever has no place on
    the form goes on top, after the error's own message, so that nothing
    the service said is lost; an error without fields is its message on
    top. ``rows`` maps a list name to (formset, the forms in the order their
    rows were sent to the service). Messages are already in the reader's
    language (services translate them)."""
    rows = rows or {}
    on_top: list[str] = []
    for name, problems in (error.fields or {}).items():
        for problem in problems if isinstance(problems, list) else [problems]:
            match = ROW_FIELD.match(name)
            if match and match.group(1) in rows:
                _formset, sent = rows[match.group(1)]
                index, field = int(match.group(2)), match.group(3)
                row_form = sent[index] if index < len(sent) else None
                if row_form is not None and field in row_form.fields:
                    row_form.add_error(field, problem)
                else:
                    on_top.append(problem)
            elif name in rows:
                rows[name][0].non_form_errors().append(problem)
            elif name in form.fields:
                form.add_error(name, problem)
            else:
                on_top.append(problem)
    if on_top or not error.fields:
        form.add_error(None, error.message)
        for problem in on_top:
            if str(problem) != str(error.message):
                form.add_error(None, problem)


def domain_error_to_message(request: HttpRequest, error: DomainError) -> None:
    """A refusal of an action that has no form (a button): one error
    message at the top of the next page, with the field messages if any."""
    details = [
        str(problem)
        for problems in (error.fields or {}).values()
        for problem in (problems if isinstance(problems, list) else [problems])
    ]
    texts = [str(error.message), *[d for d in details if d != str(error.message)]]
    messages.error(request, " ".join(texts))
