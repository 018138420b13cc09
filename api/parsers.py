"""The API's JSON parsers: DRF's, with a limit on how deeply objects and arrays may nest; and one for big bodies.

Python's ``json`` decoder recurses once per level, so a body such as ``{"customer": [[[...]]]}``
two thousand levels deep ends in a ``RecursionError`` (a 500 and a traceback) before any
serializer sees it. This parser measures the depth first, with an iterative scan of the text
that skips strings, and refuses a body nested deeper than ``settings.API_JSON_MAX_DEPTH``
with a 400 naming the top-level field (or array index) where it went too deep.

``LargeBodyJSONParser`` is the same parser for the one endpoint that takes big bodies (the
bulk intake), with its own size limit in place of ``DATA_UPLOAD_MAX_MEMORY_SIZE``.
"""
from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.utils.translation import gettext as _
from rest_framework import parsers, renderers
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.settings import api_settings
from rest_framework.utils import json

# The characters that matter to depth; at depth 1 also those that name the top-level field. The
# rest is skipped by the regex engine, not by Python.
_STRUCTURE_RE = re.compile(r'[\[\]{}"]')
_TOP_LEVEL_STRUCTURE_RE = re.compile(r'[\[\]{}",:]')
# The rest of a string after its opening quote, up to and including the closing quote (linear: no nesting).
_STRING_REST_RE = re.compile(r'[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
# A field name echoed back in an error is cut to this length.
_NAME_LIMIT = 100
# The bulk intake's body limit unless settings.API_BULK_MAX_BODY_SIZE says otherwise: 1,000 intakes
# with descriptions of about 20,000 characters each (the longest CFPB narratives) fit.
BULK_MAX_BODY_SIZE = 20 * 1024 * 1024


def too_deep_at(text: str, max_depth: int) -> str | None:
    """The top-level key (or array index) under which ``text`` nests deeper than ``max_depth``, else None.

    Depth counts open objects and arrays: ``{"a": [1]}`` is 2 deep. Strings are skipped, so
    brackets inside them do not count. The scan stops at the first level too deep, and gives
    up quietly on text that is not JSON (an unterminated string): the decoder then says why.
    Key ``non_field_errors`` when the too-deep part has no name (a body that is not an object
    or array of fields).
    """
    depth = 0
    top_is_object = False
    last_string = ""  # the last string at depth 1, raw, quotes included
    name: str | None = None
    index = 0
    position = 0
    while (match := (_TOP_LEVEL_STRUCTURE_RE if depth <= 1 else _STRUCTURE_RE).search(text, position)) is not None:
        char = match.group()
        position = match.end()
        if char == '"':
            rest = _STRING_REST_RE.match(text, position)
            if rest is None:
                return None
            if depth == 1:
                last_string = text[position - 1 : rest.end()]
            position = rest.end()
        elif char in "[{":
            depth += 1
            if depth == 1:
                top_is_object = char == "{"
                name = None if top_is_object else "0"
            elif depth > max_depth:
                # Not api.exceptions.NON_FIELD_ERRORS: importing that module imports DRF's views, which import this parser.
                return name[:_NAME_LIMIT] if name else api_settings.NON_FIELD_ERRORS_KEY
        elif char in "]}":
            depth -= 1
        elif depth == 1:
            if char == ":" and top_is_object:
                try:
                    name = str(json.loads(last_string))
                except ValueError:
                    name = None
            elif char == "," and not top_is_object:
                index += 1
                name = str(index)
    return None


def _text_encoding(parser_context: dict[str, Any]) -> str:
    """The request's charset, if it is a text encoding (as DRF 3.18.3's ``get_encoding``).

    ``bz2_codec`` and the like would decompress a small body past DATA_UPLOAD_MAX_MEMORY_SIZE.
    """
    encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
    try:
        "".encode(encoding)  # str.encode refuses bytes-to-bytes codecs
    except (LookupError, UnicodeError):
        raise ParseError(_("Unsupported charset in the request's Content-Type header.")) from None
    return encoding


def _decoded(body: bytes, parser_context: dict[str, Any], *, strict: bool) -> Any:
    """``body`` as JSON in the request's charset, refused with a 400 if it nests deeper than API_JSON_MAX_DEPTH."""
    encoding = _text_encoding(parser_context)
    try:
        text = body.decode(encoding)
        max_depth = settings.API_JSON_MAX_DEPTH
        field = too_deep_at(text, max_depth)
        if field is not None:
            raise ValidationError(
                {field: [_("Nested too deeply: at most %(limit)d levels of objects and arrays.") % {"limit": max_depth}]}
            )
        parse_constant = json.strict_constant if strict else None
        return json.loads(text, parse_constant=parse_constant)
    except ValueError as exc:
        # As DRF's own parser words it (a decode error is a ValueError too).
        raise ParseError(_("JSON parse error - %(error)s") % {"error": exc}) from None


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser behind a depth limit (``settings.API_JSON_MAX_DEPTH``); a deeper body is a 400."""

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        return _decoded(stream.read(), parser_context or {}, strict=self.strict)


def bulk_max_body_size() -> int:
    """The largest body the bulk intake takes, in bytes (``settings.API_BULK_MAX_BODY_SIZE``, by default 20 MB)."""
    return getattr(settings, "API_BULK_MAX_BODY_SIZE", BULK_MAX_BODY_SIZE)


class LargeBodyJSONParser(parsers.BaseParser):
    """The same JSON parser for bodies up to ``bulk_max_body_size()`` rather than DATA_UPLOAD_MAX_MEMORY_SIZE.

    Not a subclass of DRF's ``JSONParser`` on purpose: DRF hands that one ``request.body``,
    which Django refuses past DATA_UPLOAD_MAX_MEMORY_SIZE; any other parser gets the request
    stream, read here up to this parser's own limit (a Content-Length above it is refused
    before anything is read). A larger body is a 413, as elsewhere.
    """

    media_type = "application/json"
    renderer_class = renderers.JSONRenderer
    strict = api_settings.STRICT_JSON

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        context = parser_context or {}
        limit = bulk_max_body_size()
        request = context.get("request")
        meta = request.META if request is not None else {}
        try:
            declared = int(meta.get("CONTENT_LENGTH") or 0)
        except (TypeError, ValueError):
            declared = 0
        if declared > limit:
            raise RequestDataTooBig("Request body exceeded the bulk intake's limit.")
        body = stream.read(limit + 1)
        if len(body) > limit:
            raise RequestDataTooBig("Request body exceeded the bulk intake's limit.")
        return _decoded(body, context, strict=self.strict)
