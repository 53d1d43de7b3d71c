"""Placeholder routes, replaced by the journey that owns this module."""


urlpatterns = [
]
