"""Parsing uploaded BPMN/DMN XML with entities, DTDs and network access off.

BPMN and DMN files never need a DOCTYPE, so any document that has one is refused
before it is parsed (entity expansion, XXE) and checked again after parsing, in case
the declaration hid behind an encoding the byte scan cannot read.
"""

from __future__ import annotations

import re

from lxml import etree

from engine.errors import Detail, MalformedInput, ValidationFailed

MAX_XML_BYTES = 5 * 1024 * 1024

_DOCTYPE = re.compile(r"<!DOCTYPE", re.IGNORECASE)
_ENTITY = re.compile(r"<!ENTITY", re.IGNORECASE)
_WIDE_ENCODINGS = ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")


def _refused(filename: str, reason: str) -> MalformedInput:
    return MalformedInput(f"{filename}: the document {reason}", details=[Detail(filename, reason)])


def _readings(data: bytes) -> list[str]:
    """The document as text, in every encoding it could be in, to look for declarations."""
    if b"\x00" not in data[:64]:
        return [data.decode("latin-1")]
    return [data.decode(encoding, errors="replace") for encoding in _WIDE_ENCODINGS]


def _refuse_doctype(texts: list[str], filename: str) -> None:
    if any(_ENTITY.search(text) for text in texts):
        reason = "declares entities, which are not allowed (external or expanding entities)"
    elif any(_DOCTYPE.search(text) for text in texts):
        reason = "has a DOCTYPE declaration, which is not allowed"
    else:
        return
    raise _refused(filename, reason)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
    )


def parse_xml(data: bytes, filename: str, *, max_bytes: int = MAX_XML_BYTES) -> etree._Element:
    """Root element of an uploaded BPMN/DMN document, as SpiffWorkflow's parser takes it.

    Raises ``MalformedInput`` for oversized input and for any DOCTYPE or entity declaration,
    ``ValidationFailed`` (with the file name and line) for malformed XML.
    """
    if len(data) > max_bytes:
        reason = f"is {len(data)} bytes, more than the {max_bytes} allowed"
        raise _refused(filename, reason)
    _refuse_doctype(_readings(data), filename)
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as err:
        entry = err.error_log.last_error
        line = entry.line if entry is not None and entry.line else (err.lineno or 1)
        message = entry.message if entry is not None and entry.message else str(err)
        reason = f"line {line}: {message.strip()}"
        raise ValidationFailed(
            f"{filename}: malformed XML: {reason}", details=[Detail(filename, reason)]
        ) from err
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        reason = "has a DOCTYPE declaration, which is not allowed"
        raise _refused(filename, reason)
    return root
