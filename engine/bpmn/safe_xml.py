"""Parsing uploaded BPMN/DMN XML with entities, DTDs and network access off.

BPMN and DMN files never need a DOCTYPE, so any document that has one is refused
before it is parsed (entity expansion, XXE) and checked again after parsing, in case
the declaration hid behind an encoding the byte scan cannot read.
"""

from __future__ import annotations

import codecs
import re

from lxml import etree

from engine.errors import BadRequest, Detail, ValidationFailed

MAX_XML_BYTES = 5 * 1024 * 1024

_DOCTYPE = re.compile(r"<!DOCTYPE", re.IGNORECASE)
_ENTITY = re.compile(r"<!ENTITY", re.IGNORECASE)
_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _as_text(data: bytes) -> str:
    """The document as text, good enough to look for declarations."""
    for bom, encoding in _WIDE_BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    head = data[:4]
    if head.startswith(b"\x00\x00\x00<"):
        return data.decode("utf-32-be", errors="replace")
    if head.startswith(b"<\x00\x00\x00"):
        return data.decode("utf-32-le", errors="replace")
    if head.startswith(b"\x00<"):
        return data.decode("utf-16-be", errors="replace")
    if head.startswith(b"<\x00"):
        return data.decode("utf-16-le", errors="replace")
    return data.decode("latin-1")


def _refuse_doctype(text: str, filename: str) -> None:
    if _ENTITY.search(text):
        reason = "declares entities, which are not allowed (external or expanding entities)"
    elif _DOCTYPE.search(text):
        reason = "has a DOCTYPE declaration, which is not allowed"
    else:
        return
    raise BadRequest(f"{filename}: the document {reason}", details=[Detail(filename, reason)])


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

    Raises ``BadRequest`` for oversized input and for any DOCTYPE or entity declaration,
    ``ValidationFailed`` (with the file name and line) for malformed XML.
    """
    if len(data) > max_bytes:
        reason = f"is {len(data)} bytes, more than the {max_bytes} allowed"
        raise BadRequest(f"{filename}: the document {reason}", details=[Detail(filename, reason)])
    _refuse_doctype(_as_text(data), filename)
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
        raise BadRequest(f"{filename}: the document {reason}", details=[Detail(filename, reason)])
    return root
