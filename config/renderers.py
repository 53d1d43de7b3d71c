"""The API's JSON renderer. Its own module: DRF reads the renderer
setting while defining ``APIView``, which ``config.api`` imports."""

from __future__ import annotations

import orjson
from rest_framework.renderers import JSONRenderer


class FastJSONRenderer(JSONRenderer):
    """DRF's JSON output, byte for byte, written by orjson (a list page of
    200 rows: the stdlib encoder was about half of its serialization).

    Everything orjson does not write exactly as DRF does goes through DRF's
    own encoder: dates and times (DRF keeps milliseconds and writes ``Z``),
    decimals, lazy strings, dataclasses. An indented answer (``Accept:
    application/json; indent=4``), a non-string key or an integer beyond
    64 bits falls back to DRF's renderer entirely. One difference left: a
    float NaN or infinity is written ``null`` where DRF raises (the API's
    numbers are decimals written as strings)."""

    _OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if (
            self.ensure_ascii
            or not self.compact
            or self.get_indent(accepted_media_type, renderer_context or {})
        ):
            return super().render(data, accepted_media_type, renderer_context)
        try:
            out = orjson.dumps(data, default=self.encoder_class().default, option=self._OPTIONS)
        except (orjson.JSONEncodeError, TypeError):
            return super().render(data, accepted_media_type, renderer_context)
        # As DRF: U+2028 and U+2029 escaped, for JavaScript before ES2019.
        if b"\xe2\x80\xa8" in out or b"\xe2\x80\xa9" in out:
            out = out.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
        return out
