"""Guards for hostile or broken uploads: format sniffing, bounded unzipping, hardened XML.

Every reader of Office files goes through here, so the rules live in one place:

* :func:`sniff` tells a ZIP package from an OLE2 container, a PDF, an RTF file or anything
  else, and :func:`reject` turns every non-ZIP kind into the right 4xx error (encrypted
  Office files are OLE2 containers holding an ``EncryptedPackage`` stream).
* :class:`SafeZip` reads members under a total decompressed-size budget that is checked
  both against the sizes the archive declares and while inflating (declared sizes can lie),
  with a per-member compression-ratio check and a cap on the number of entries.
* :func:`parse_xml` parses a part with a parser that never loads a DTD, never resolves an
  entity and never touches the network, and refuses any part that declares a DOCTYPE:
  Office never writes one, so a DOCTYPE means a hand-made, possibly hostile, file.
"""

from __future__ import annotations

import codecs
import io
import re
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

import olefile
from lxml import etree

from addin.errors import PayloadTooLarge, UnreadableDocument, UnsupportedMediaType

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
_CENTRAL_ENTRY = b"PK\x01\x02"
_CHUNK = 64 * 1024
_MIB = 1024 * 1024

DEFAULT_ACCEPTED = "Word documents (.docx, .docm, .dotx, .dotm)"


@dataclass(frozen=True, slots=True)
class Limits:
    """Resource limits for reading one upload. The caller owns them (usually from settings)."""

    max_decompressed_bytes: int = 200 * _MIB  # sum over all members, declared and read
    max_part_bytes: int = 64 * _MIB  # one member read into memory (an XML tree takes ~16x)
    max_entries: int = 10_000  # members in the archive
    max_compression_ratio: float = 250.0  # per member, for members above ratio_min_bytes
    ratio_min_bytes: int = _MIB  # small members may compress as well as they like


# --------------------------------------------------------------------------- sniffing


def sniff(data: bytes) -> str:
    """Classify raw bytes as "ole2", "zip", "pdf", "rtf" or "other" from their magic."""
    if data.startswith(OLE2_MAGIC):
        return "ole2"
    if data.startswith(_ZIP_MAGICS):
        return "zip"
    if b"%PDF-" in data[:1024]:  # PDF readers accept the header anywhere in the first 1 KB
        return "pdf"
    if data.lstrip()[:5] == b"{\\rtf":
        return "rtf"
    return "other"


def reject(data: bytes, kind: str, *, accepted: str = DEFAULT_ACCEPTED,
           filename: str | None = None) -> NoReturn:
    """Raise the error that tells the user why a non-ZIP upload can't be read, and what to do.

    ``accepted`` names the formats the caller reads, for the message; ``filename`` only
    tunes the wording (an encrypted workbook is unlocked in Excel, not Word).
    """
    if kind == "ole2":
        _reject_ole2(data, accepted, filename)
    if kind == "pdf":
        raise UnsupportedMediaType(
            f"This is a PDF file. The add-in reads {accepted}: open the PDF in Word, "
            "save it as a .docx file and upload that.",
            code="unsupported_type",
        )
    if kind == "rtf":
        raise UnsupportedMediaType(
            f"This is a Rich Text Format (.rtf) file. The add-in reads {accepted}: open it "
            "in Word, choose File > Save As > Word Document (.docx) and upload that.",
            code="unsupported_type",
        )
    raise UnsupportedMediaType(
        f"This file is not in a format the add-in reads. It reads {accepted}; save your "
        "file in one of these formats and upload it again.",
        code="unsupported_type",
    )


def _is_excel_name(filename: str | None) -> bool:
    if not filename:
        return False
    return filename.lower().rsplit(".", 1)[-1].startswith("xl")


def _ole_streams(data: bytes) -> set[str] | None:
    """Top-level stream names of an OLE2 container, lower-cased; None if it can't be read."""
    try:
        # Always a file object: olefile treats short bytes as a *path* to open.
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            return {"/".join(entry).lower() for entry in ole.listdir(streams=True)}
    except Exception:  # olefile raises many types on damaged containers
        return None


def _reject_ole2(data: bytes, accepted: str, filename: str | None) -> NoReturn:
    streams = _ole_streams(data) or set()
    if {"encryptioninfo", "encryptedpackage"} & streams:
        if _is_excel_name(filename):
            where = "Excel (File > Info > Protect Workbook > Encrypt with Password)"
        else:
            where = "Word (File > Info > Protect Document > Encrypt with Password)"
        raise UnreadableDocument(
            "This file is password-protected, so it can't be read. Remove the password in "
            f"{where}, clear the password, save, and upload the file again.",
            code="document_encrypted",
        )
    if "workbook" in streams or "book" in streams:
        old, new = "an Excel 97-2003 workbook (.xls)", "Excel Workbook (.xlsx)"
    elif "powerpoint document" in streams:
        old, new = "a PowerPoint 97-2003 presentation (.ppt)", "PowerPoint Presentation (.pptx)"
    elif "worddocument" in streams:
        old, new = "a Word 97-2003 document (.doc)", "Word Document (.docx)"
    else:
        old, new = "an older Office file (or a damaged one)", "Word Document (.docx)"
    raise UnsupportedMediaType(
        f"This is {old}, a legacy format the add-in doesn't read. It reads {accepted}: "
        f"open the file, choose File > Save As > {new} and upload that.",
        code="legacy_format",
    )


# --------------------------------------------------------------------------- zip


def corrupt(detail: str) -> UnreadableDocument:
    """The one "damaged file" error, with a hint that Word can often repair the file."""
    return UnreadableDocument(
        "This file is damaged and can't be read "
        f"({detail}). Open it in Word (or Excel, for a workbook), which can often repair "
        "it, save a new copy and upload that.",
        code="corrupt_document",
    )


def _too_large(limit: int, what: str = "This file") -> PayloadTooLarge:
    return PayloadTooLarge(
        f"{what} expands to more than {max(limit // _MIB, 1)} MB when opened, which is over "
        "the limit. Split it into smaller documents, or remove large embedded files, and "
        "upload it again.",
        code="decompressed_too_large",
    )


def _too_many_parts(limits: Limits) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"This file holds more than {limits.max_entries} internal parts, far more than a "
        "real document, so it was refused. Check the file and upload it again.",
        code="too_many_parts",
    )


# Everything zipfile and zlib raise on damaged archives (encrypted members: RuntimeError).
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError,
               NotImplementedError, RuntimeError, KeyError, IndexError, OverflowError)


class SafeZip:
    """A read-only ZIP archive whose members are inflated under a shared byte budget.

    Names are looked up case-insensitively (OPC part names are case-insensitive).
    """

    def __init__(self, data: bytes, limits: Limits) -> None:
        self.limits = limits
        self._read_so_far = 0
        # Count central-directory signatures before zipfile builds a ZipInfo for each one.
        if data.count(_CENTRAL_ENTRY) > limits.max_entries:
            raise _too_many_parts(limits)
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self._zip.infolist()
        except _ZIP_ERRORS as exc:
            raise corrupt("it is not a complete ZIP package") from exc
        self._check_declared(infos)
        self._by_name: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            if not info.is_dir():
                self._by_name.setdefault(info.filename.lower(), info)

    def _check_declared(self, infos: Sequence[zipfile.ZipInfo]) -> None:
        limits = self.limits
        if len(infos) > limits.max_entries:
            raise _too_many_parts(limits)
        if sum(info.file_size for info in infos) > limits.max_decompressed_bytes:
            raise _too_large(limits.max_decompressed_bytes)
        for info in infos:
            if _ratio_exceeded(info.file_size, info.compress_size, limits):
                raise _too_large(limits.max_decompressed_bytes)

    def names(self) -> list[str]:
        """Member names as stored in the archive (directories left out)."""
        return [info.filename for info in self._by_name.values()]

    def has(self, name: str) -> bool:
        return name.lower() in self._by_name

    def _budget(self) -> tuple[int, PayloadTooLarge]:
        """Bytes the next member may inflate to, and the error to raise past them."""
        left = self.limits.max_decompressed_bytes - self._read_so_far
        part = self.limits.max_part_bytes
        if part < left:
            return part, _too_large(part, "A part of this file")
        return left, _too_large(self.limits.max_decompressed_bytes)

    def read(self, name: str) -> bytes:
        """Inflate one member in chunks, stopping as soon as the budget or the ratio is broken.

        Raises KeyError when the member does not exist.
        """
        info = self._by_name[name.lower()]
        limits = self.limits
        budget, too_large = self._budget()
        if info.file_size > budget:
            raise too_large
        chunks: list[bytes] = []
        size = 0
        try:
            with self._zip.open(info) as member:
                while chunk := member.read(_CHUNK):
                    size += len(chunk)
                    if size > budget or _ratio_exceeded(size, info.compress_size, limits):
                        raise too_large
                    chunks.append(chunk)
        except _ZIP_ERRORS as exc:
            raise corrupt(f"the part {info.filename} can't be unpacked") from exc
        self._read_so_far += size
        return b"".join(chunks)


def _ratio_exceeded(size: int, compressed: int, limits: Limits) -> bool:
    if size <= limits.ratio_min_bytes:
        return False
    return size > limits.max_compression_ratio * max(compressed, 1)


# --------------------------------------------------------------------------- xml

_DTD_MARKERS = (b"<!DOCTYPE", b"<!ENTITY")
_ENCODING_DECL = re.compile(rb"""\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']""")
_DECL = re.compile(r"\s*<\?xml[^>]*\?>")
_UTF8_NAMES = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})
# Python codecs that are character sets an XML file may declare (not idna, punycode,
# unicode_escape...: some of those decode in quadratic time).
_CHARSET_CODEC = re.compile(
    r"(utf|latin|iso8859|iso2022|cp|mac|koi8|shift_jis|euc|gb|big5|hz|johab|tis|kz|ptcp)")
# Byte-order marks, then the BOM-less UTF-16/32 starts libxml2 also recognises.
_SIGNATURES = (
    (b"\xef\xbb\xbf", "utf-8", 3),
    (b"\xff\xfe\x00\x00", "utf-32-le", 4),
    (b"\x00\x00\xfe\xff", "utf-32-be", 4),
    (b"\xff\xfe", "utf-16-le", 2),
    (b"\xfe\xff", "utf-16-be", 2),
    (b"<\x00\x00\x00", "utf-32-le", 0),
    (b"\x00\x00\x00<", "utf-32-be", 0),
    (b"<\x00", "utf-16-le", 0),
    (b"\x00<", "utf-16-be", 0),
)


def hardened_parser() -> etree.XMLParser:
    """A new lxml parser that loads no DTD, resolves no entity and never uses the network.

    A fresh parser per call: lxml parsers must not be shared between threads.
    ``huge_tree`` stays off, which keeps libxml2's limits on depth (256) and on the size
    of one text node (10 MB); a 12 MB document.xml of ordinary paragraphs parses fine.
    """
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        collect_ids=False,
        remove_comments=True,
        remove_pis=True,
    )


def _entities_forbidden(part_name: str) -> UnreadableDocument:
    return UnreadableDocument(
        f"This file contains XML entity declarations (in {part_name}), which Office never "
        "writes, so it was refused for safety. Open it in Word, save a new copy and upload "
        "that.",
        code="xml_entities_forbidden",
    )


def _as_utf8(data: bytes, part_name: str) -> bytes:
    """The part as UTF-8 whose declaration, if any, says UTF-8: exactly what libxml2 will
    parse, so the DOCTYPE scan can't be dodged with UTF-16/32, UTF-7 or EBCDIC.

    UTF-8/ASCII parts (all that Office writes) pass through untouched, minus a BOM; other
    encodings are transcoded with Python's codecs; undecodable parts are corrupt.
    """
    codec = "utf-8"
    for signature, name, skip in _SIGNATURES:
        if data.startswith(signature):
            data, codec = data[skip:], name
            break
    if codec == "utf-8":
        match = _ENCODING_DECL.match(data)
        codec = match.group(1).decode("ascii").lower() if match else "utf-8"
    if codec not in _UTF8_NAMES:
        data = _transcode(data, codec, part_name)
    if data[:1024].lstrip()[:1] != b"<":
        raise corrupt(f"the part {part_name} is not XML")
    return data


def _transcode(data: bytes, codec: str, part_name: str) -> bytes:
    try:
        if not _CHARSET_CODEC.match(codecs.lookup(codec).name):
            raise LookupError(codec)
        text = data.decode(codec)
    except (LookupError, UnicodeDecodeError) as exc:
        raise corrupt(f"the part {part_name} has an unreadable text encoding") from exc
    return _DECL.sub('<?xml version="1.0" encoding="UTF-8"?>', text, count=1).encode()


def parse_xml(data: bytes, part_name: str,
              replace: Sequence[tuple[bytes, bytes]] = ()) -> etree._Element:
    """Parse one package part safely and return its root element.

    Any DOCTYPE or entity declaration, in any encoding → UnreadableDocument(
    "xml_entities_forbidden"); malformed XML → UnreadableDocument("corrupt_document").
    ``replace`` holds byte substitutions applied before parsing (used to map Strict OOXML
    namespaces onto the Transitional ones).
    """
    data = _as_utf8(data, part_name)
    if any(marker in data for marker in _DTD_MARKERS):
        # Refused before parsing: libxml2 still loads external *parameter* entities
        # (<!ENTITY % p SYSTEM "file:...">) even with load_dtd=False.
        raise _entities_forbidden(part_name)
    for old, new in replace:
        data = data.replace(old, new)
    try:
        root = etree.fromstring(data, hardened_parser())
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise corrupt(f"the part {part_name} is not well-formed XML") from exc
    docinfo: Any = root.getroottree().docinfo  # lxml-stubs lack DocInfo.doctype
    if docinfo.doctype or docinfo.internalDTD is not None:  # an encoding the scan missed
        raise _entities_forbidden(part_name)
    return root
