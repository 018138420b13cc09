"""JSON request bodies, refused with 413 beyond ``settings.DATA_UPLOAD_MAX_MEMORY_SIZE``."""
from __future__ import annotations

from io import BytesIO

from django.conf import settings
from rest_framework.parsers import JSONParser

from .exceptions import RequestTooLarge


class BoundedJSONParser(JSONParser):
    """JSON, read at most up to the size limit; a declared or actual larger body is a 413.

    Django checks the limit only for ``request.body`` and form data; DRF's parsers read the
    stream directly, so the limit is enforced here.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and stream is not None:
            request = (parser_context or {}).get("request")
            declared = request.META.get("CONTENT_LENGTH") if request is not None else None
            try:
                if declared and int(declared) > limit:
                    raise RequestTooLarge()
            except ValueError:
                pass
            body = stream.read(limit + 1)
            if len(body) > limit:
                raise RequestTooLarge()
            stream = BytesIO(body)
        return super().parse(stream, media_type, parser_context)
