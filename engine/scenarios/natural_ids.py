"""UUIDv5 of a natural key, computed the cheap way for scenarios that make millions.

``NaturalKey.id`` goes through :func:`uuid.uuid5` and :class:`uuid.UUID`, about 3 µs
a call, more than the rest of a command's generation. These functions compute the
same RFC 4122 bytes (SHA-1 of namespace and name, version 5, variant 10) directly;
the scenario tests recompute every id through ``seedctl.ledger.ids`` to hold them to it.
"""

from __future__ import annotations

import uuid
from hashlib import sha1

from seedctl.ledger import NaturalKey

__all__ = ["id_text", "id_uuid"]

_namespace_bytes: dict[int, bytes] = {}
"""By the namespace's ``int``: hashing a UUID itself is a Python call (``UUID.__hash__``)."""


class _TextUUID(uuid.UUID):
    """A UUID that keeps its text form.

    A parent's id is formatted into every child's natural key (``f"{parent}:..."``);
    ``uuid.UUID.__str__`` rebuilds the text each time, five times slower than this.
    Equal to, and hashing like, the plain UUID of the same value.
    """

    __slots__ = ("_text",)
    _text: str

    def __str__(self) -> str:
        return self._text


# The slots' own setters: UUIDs refuse plain attribute writes (object.__setattr__ by
# name works too, at twice the cost).
_set_int = vars(uuid.UUID)["int"].__set__
_set_is_safe = vars(uuid.UUID)["is_safe"].__set__
_set_text = vars(_TextUUID)["_text"].__set__
_UNKNOWN = uuid.SafeUUID.unknown  # on 3.11 each enum member access is a descriptor call
# RFC 4122 on the digest's first 128 bits: version 5 in bits 76-79, variant 10 in 62-63.
_KEEP = ((1 << 128) - 1) & ~((0xF << 76) | (0x3 << 62))
_VERSION_5 = (5 << 76) | (2 << 62)


def _sha1_hex(key: NaturalKey) -> str:
    """The 40 hex digits of SHA-1(namespace bytes + name): RFC 4122's version 5 input."""
    namespace = key.namespace.int
    prefix = _namespace_bytes.get(namespace)
    if prefix is None:
        prefix = _namespace_bytes[namespace] = key.namespace.bytes
    # RFC 4122 version 5 is SHA-1 by definition; it names, it does not protect.
    return sha1(prefix + key.text.encode()).hexdigest()  # noqa: S324


# Digit 16 keeps its low two bits under variant 10.
_VARIANT = {d: "89ab"[int(d, 16) & 3] for d in "0123456789abcdef"}


def _text(h: str) -> str:
    # Straight from the digest's text: digit 12 becomes the version (5), digit 16 the variant.
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:32]}"


def id_text(key: NaturalKey) -> str:
    """``str(key.id)``: the canonical lower-case hyphenated form."""
    return _text(_sha1_hex(key))


def id_uuid(key: NaturalKey) -> uuid.UUID:
    """``key.id``, for keys that children's natural keys are built from."""
    h = _sha1_hex(key)
    # Built field by field: UUID.__init__ re-parses and re-checks what we just made.
    result = object.__new__(_TextUUID)
    _set_int(result, int(h[:32], 16) & _KEEP | _VERSION_5)
    _set_is_safe(result, _UNKNOWN)
    _set_text(result, _text(h))
    return result
