"""A delivery's bytes as a document (dicts, lists, text, numbers), whatever the tool sent:

- application/json (and `…+json`);
- application/x-www-form-urlencoded, keys exactly as sent (`q3_name[first]` stays one key),
  a key sent twice becomes a list (a group of checkboxes);
- multipart/form-data (Jotform sends its answers so, as the JSON text `rawRequest`: a path
  reads into it), read by python-multipart; an uploaded file is kept as its file name.

Whatever the type, a document is refused (PayloadError, a 400 naming the place) when it
cannot be stored as it is: nested deeper than MAX_DEPTH, a NUL character or half a UTF-16
surrogate pair in any text (PostgreSQL refuses both), a number beyond what JSON can carry.
"""

from __future__ import annotations

import json
import logging
import math
import re
from typing import Any
from urllib.parse import parse_qsl

from python_multipart import create_form_parser
from python_multipart.exceptions import FormParserError

from bot.intake.errors import PayloadError

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
FORM_TYPES = (FORM, MULTIPART)
MAX_DEPTH = 64  # real forms nest a handful of levels; hostile bodies thousands
MAX_FIELDS = 1000  # form fields in one body
_UNSTORABLE_ESCAPE = re.compile(rb"\\u(?:0000|d[89a-f])", re.IGNORECASE)  # \u0000, \ud800…


def media_type(content_type: str | None) -> str:
    """'application/json; charset=utf-8' -> 'application/json' ('+json' types count as JSON)."""
    kind = (content_type or "").split(";")[0].strip().lower()
    return JSON if kind.endswith("+json") else kind


def _charset(content_type: str | None) -> str:
    for part in (content_type or "").split(";")[1:]:
        name, _, value = part.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            return value.strip().strip('"').lower()
    return "utf-8"


def decode_body(body: bytes, content_type: str | None = JSON) -> Any:
    """The document in `body`; raises PayloadError saying why it cannot be read."""
    kind = media_type(content_type)
    if kind == MULTIPART:
        document: Any = _multipart(body, content_type or "")
    elif kind == FORM:
        # a JSON text sent as a form (Apps Script's UrlFetchApp does that by default)
        if body.lstrip()[:1] in (b"{", b"["):
            try:
                return decode_json(body)
            except PayloadError:
                pass
        document = _form(body, _charset(content_type))
    else:
        return decode_json(body)
    return check_document(document)


def _no_constant(name: str) -> Any:
    raise PayloadError(f"body holds {name}, which is not a number JSON allows")


def _finite(text: str) -> float:
    number = float(text)
    if math.isinf(number):
        raise PayloadError(f"body holds the number {text[:20]}…, too large to store")
    return number


def decode_json(body: bytes) -> Any:
    try:
        document = json.loads(body, parse_constant=_no_constant, parse_float=_finite)
    except UnicodeDecodeError:
        raise PayloadError("body is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        raise PayloadError(f"body is not valid JSON ({exc.msg} at {where})") from None
    except RecursionError:
        raise PayloadError(f"body is nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:  # Python refuses integers of more than 4300 digits
        raise PayloadError(f"body holds a number too long to read ({exc.args[0][:60]}…)") from None
    if _plainly_storable(body):
        return document
    return check_document(document)


def _plainly_storable(body: bytes) -> bool:
    """A JSON text with no escaped NUL or surrogate, and fewer brackets than MAX_DEPTH, needs
    no walk (a raw NUL or a lone surrogate is not valid JSON text): most leads are such."""
    return _UNSTORABLE_ESCAPE.search(body) is None and (
        body.count(b"{") + body.count(b"[") < MAX_DEPTH
    )


def check_document(document: Any) -> Any:
    """`document` itself, once every text in it can be stored and it is not too deep."""
    stack: list[tuple[Any, tuple[Any, ...]]] = [(document, ())]
    while stack:
        value, where = stack.pop()
        if isinstance(value, str):
            _check_text(value, where)
        elif isinstance(value, dict | list):
            if len(where) >= MAX_DEPTH:
                raise PayloadError(f"body is nested deeper than {MAX_DEPTH} levels")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str):
                    _check_text(key, (*where, key))
                stack.append((item, (*where, key)))
    return document


def _check_text(text: str, where: tuple[Any, ...]) -> None:
    if text.isascii():
        if "\x00" not in text:
            return
        raise PayloadError(
            f"{_place(where)} holds a NUL character (\\u0000), which cannot be stored"
        )
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise PayloadError(
            f"{_place(where)} holds half a UTF-16 surrogate pair, which is not text"
        ) from None
    if "\x00" in text:
        raise PayloadError(
            f"{_place(where)} holds a NUL character (\\u0000), which cannot be stored"
        )


def _place(where: tuple[Any, ...]) -> str:
    if not where:
        return "the body"
    shown = ".".join(str(part)[:40] for part in where)
    return f"field {shown[:120]!r}"


def _form(body: bytes, charset: str) -> dict[str, Any]:
    try:
        text = body.decode(charset)
        pairs = parse_qsl(
            text, keep_blank_values=True, encoding=charset, errors="strict",
            max_num_fields=MAX_FIELDS,
        )  # fmt: skip
    except LookupError:
        raise PayloadError(f"unknown charset {charset!r} in the Content-Type") from None
    except UnicodeDecodeError:
        raise PayloadError(f"form body is not {charset} text") from None
    except ValueError:
        raise PayloadError(f"form body has more than {MAX_FIELDS} fields") from None
    return _collect(pairs)


def _multipart(body: bytes, content_type: str) -> dict[str, Any]:
    pairs: list[tuple[str, str]] = []

    def text(raw: bytes | None) -> str:
        try:
            return (raw or b"").decode("utf-8")
        except UnicodeDecodeError:
            raise PayloadError("a multipart field is not UTF-8 text") from None

    def on_field(field: Any) -> None:
        pairs.append((text(field.field_name), text(field.value)))

    def on_file(file: Any) -> None:  # the file's name; its bytes are not a lead's
        pairs.append((text(file.field_name), text(file.file_name)))
        file.close()

    # python-multipart logs what it could not parse, bytes of the body included: we say why
    logging.getLogger("python_multipart").setLevel(logging.CRITICAL)
    headers = {"Content-Type": content_type.encode("latin-1", "replace")}
    try:
        parser = create_form_parser(
            headers, on_field, on_file, config={"MAX_MEMORY_FILE_SIZE": len(body) + 1}
        )
        parser.write(body)
        parser.finalize()
    except (FormParserError, ValueError) as exc:
        raise PayloadError(f"multipart body cannot be read ({str(exc)[:80]})") from None
    if len(pairs) > MAX_FIELDS:
        raise PayloadError(f"form body has more than {MAX_FIELDS} fields")
    return _collect(pairs)


def _collect(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            earlier = document[key]
            document[key] = [*earlier, value] if isinstance(earlier, list) else [earlier, value]
        else:
            document[key] = value
    return document
