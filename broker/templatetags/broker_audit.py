"""The latest anchor of the audit chain, for pages of other apps (the
open-data page): ``{% load broker_audit %}{% audit_anchor_latest %}``. A
template tag, so that those apps' code never imports the broker."""

from __future__ import annotations

from django import template

from broker import selectors

register = template.Library()


@register.inclusion_tag("broker/_audit_anchor.html")
def audit_anchor_latest() -> dict:
    return {"anchor": selectors.audit_anchors().first()}
