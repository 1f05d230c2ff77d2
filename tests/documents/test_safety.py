"""Hostile and broken uploads: every one ends in a 4xx error that says what to do, fast,
without resolving entities or inflating bombs."""

from __future__ import annotations

import io
import os
import struct
import time
import zipfile

import pytest
from lxml import etree

from addin.documents import Limits, read_document
from addin.documents.safety import SafeZip, hardened_parser, parse_xml, sniff
from addin.errors import PayloadTooLarge, UnreadableDocument, UnsupportedMediaType

MIB = 1024 * 1024


def _zeros_member(archive: zipfile.ZipFile, name: str, size: int) -> None:
    """Stream ``size`` zero bytes into a deflated member without holding them in memory."""
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    with archive.open(info, "w", force_zip64=True) as member:
        chunk = bytes(MIB)
        for _ in range(size // MIB):
            member.write(chunk)


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """A Word package carrying 300 MB of zeros that compress to about 300 KB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        _zeros_member(archive, "word/media/zeros.bin", 300 * MIB)
    return buffer.getvalue()


# ------------------------------------------------------------------ sniffing


@pytest.mark.parametrize(("data", "kind"), [
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "ole2"),
    (b"PK\x03\x04rest", "zip"),
    (b"PK\x05\x06" + bytes(18), "zip"),
    (b"%PDF-1.7\n%\xe2\xe3", "pdf"),
    (b"{\\rtf1\\ansi hello}", "rtf"),
    (b"<html><body>hi</body></html>", "other"),
    (b"", "other"),
])
def test_sniff_tells_formats_apart_by_magic(data: bytes, kind: str) -> None:
    assert sniff(data) == kind


# ------------------------------------------------------------------ non-zip uploads


def test_encrypted_office_file_is_refused_with_instructions(make) -> None:
    data = make.cfb({"EncryptionInfo": b"\x04\x00\x04\x00", "EncryptedPackage": os.urandom(64)})
    with pytest.raises(UnreadableDocument) as caught:
        read_document(data, "report.docx")
    assert caught.value.status == 422
    assert caught.value.code == "document_encrypted"
    assert "password" in caught.value.message
    assert "File > Info > Protect Document" in caught.value.message


def test_encrypted_workbook_message_points_to_excel(make) -> None:
    data = make.cfb({"EncryptionInfo": b"\x04\x00", "EncryptedPackage": b"x"})
    with pytest.raises(UnreadableDocument) as caught:
        read_document(data, "budget.xlsx")
    assert "Excel" in caught.value.message


@pytest.mark.parametrize("name", [
    "poi_encrypted_password-is-pass.docx", "poi_encrypted_agile_VelvetSweatshop.docx"])
def test_corpus_encrypted_files_are_refused(corpus_docx, name: str) -> None:
    with pytest.raises(UnreadableDocument) as caught:
        read_document(corpus_docx(name), name)
    assert caught.value.code == "document_encrypted"


def test_legacy_doc_asks_to_save_as_docx(make) -> None:
    data = make.cfb({"WordDocument": b"\xec\xa5" + bytes(100), "1Table": bytes(64)})
    with pytest.raises(UnsupportedMediaType) as caught:
        read_document(data, "old.doc")
    assert caught.value.status == 415
    assert caught.value.code == "legacy_format"
    assert "Word 97-2003" in caught.value.message and ".docx" in caught.value.message


def test_damaged_ole2_container_is_a_legacy_format_error() -> None:
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + os.urandom(3000)
    with pytest.raises(UnsupportedMediaType) as caught:
        read_document(data)
    assert caught.value.code == "legacy_format"


def test_short_ole2_bytes_are_never_taken_for_a_path(tmp_path) -> None:
    # olefile treats bytes shorter than 1536 as a file name; we must always pass a buffer.
    with pytest.raises(UnsupportedMediaType):
        read_document(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1/etc/passwd")


@pytest.mark.parametrize(("data", "word"), [
    (b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF", "PDF"),
    (b"{\\rtf1\\ansi\\deff0 {\\fonttbl}Hello}", "Rich Text"),
    (os.urandom(4096), ".docx"),
])
def test_other_formats_are_unsupported_with_a_clear_message(data: bytes, word: str) -> None:
    with pytest.raises(UnsupportedMediaType) as caught:
        read_document(data, "upload.docx")
    assert caught.value.code == "unsupported_type"
    assert word in caught.value.message


def test_empty_upload() -> None:
    with pytest.raises(UnreadableDocument) as caught:
        read_document(b"")
    assert caught.value.code == "empty_document"


# ------------------------------------------------------------------ broken zips


def test_truncated_zip_is_corrupt(make) -> None:
    data = make.docx(make.para("Hello world " * 200))
    with pytest.raises(UnreadableDocument) as caught:
        read_document(data[: len(data) // 2])
    assert caught.value.code == "corrupt_document"
    assert "Word" in caught.value.message  # tells the user Word can often repair it


def test_damaged_member_data_is_corrupt(make) -> None:
    data = bytearray(make.docx(make.para("Some text that will be damaged " * 50)))
    # Corrupt the middle of word/document.xml's compressed bytes (the CRC no longer matches).
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo("word/document.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for offset in range(start + 20, start + 40):
        data[offset] ^= 0xFF
    with pytest.raises(UnreadableDocument) as caught:
        read_document(bytes(data))
    assert caught.value.code == "corrupt_document"


@pytest.mark.parametrize("name", [
    "poi_truncated62886_corrupt.docx", "poi_clusterfuzz_xwpf_6442791109263360.docx"])
def test_corpus_corrupt_files(corpus_docx, name: str) -> None:
    with pytest.raises(UnreadableDocument) as caught:
        read_document(corpus_docx(name))
    assert caught.value.code == "corrupt_document"


# ------------------------------------------------------------------ bombs


def test_zip_bomb_is_refused_from_declared_sizes_before_inflating(bomb: bytes) -> None:
    assert len(bomb) < 2 * MIB  # 300 MB of zeros in a small upload
    start = time.perf_counter()
    with pytest.raises(PayloadTooLarge) as caught:
        read_document(bomb, limits=Limits(max_decompressed_bytes=50 * MIB))
    assert time.perf_counter() - start < 1.0
    assert caught.value.status == 413
    assert caught.value.code == "decompressed_too_large"
    assert "50 MB" in caught.value.message


def test_zip_bomb_under_the_total_limit_is_caught_by_its_compression_ratio(bomb: bytes) -> None:
    with pytest.raises(PayloadTooLarge) as caught:
        read_document(bomb, limits=Limits(max_decompressed_bytes=1024 * MIB))
    assert caught.value.code == "decompressed_too_large"


def _lie_about_size(data: bytes, name: str, declared: int) -> bytes:
    """Rewrite the uncompressed size of ``name`` in its local header and central entry."""
    out = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo(name)
    struct.pack_into("<I", out, info.header_offset + 22, declared)
    position = out.find(b"PK\x01\x02")
    while position != -1:
        name_length = struct.unpack_from("<H", out, position + 28)[0]
        if out[position + 46 : position + 46 + name_length] == name.encode():
            struct.pack_into("<I", out, position + 24, declared)
        position = out.find(b"PK\x01\x02", position + 4)
    return bytes(out)


def test_member_that_lies_about_its_size_is_refused_quickly(make) -> None:
    """document.xml declares 2 KB but inflates to 64 MB: reading stops at the declared size
    and the mismatch is reported, without ever holding 64 MB."""
    document = (f'{make.XML_DECL}<w:document {make.NAMESPACES}><w:body>{make.para("hi")}'
                "</w:body></w:document>").encode() + b" " * (64 * MIB)
    honest = make.rewrite(make.docx(""), lambda n, d: document if n == "word/document.xml" else d)
    lying = _lie_about_size(honest, "word/document.xml", 2048)
    start = time.perf_counter()
    with pytest.raises((UnreadableDocument, PayloadTooLarge)):
        read_document(lying)
    assert time.perf_counter() - start < 1.0


def test_a_single_part_over_the_part_limit_is_refused(make) -> None:
    big = make.docx(make.para("word " * 300_000))  # ~1.5 MB document.xml
    with pytest.raises(PayloadTooLarge) as caught:
        read_document(big, limits=Limits(max_part_bytes=MIB))
    assert caught.value.code == "decompressed_too_large"


def test_declared_sizes_over_the_budget_are_refused_before_reading(make) -> None:
    data = make.zip({"a.xml": b"a" * 600_000, "b.xml": b"b" * 600_000})
    with pytest.raises(PayloadTooLarge):
        SafeZip(data, Limits(max_decompressed_bytes=1_000_000))


def test_the_byte_budget_is_shared_by_every_read(make) -> None:
    archive = SafeZip(make.zip({"a.xml": b"a" * 600_000}), Limits(max_decompressed_bytes=10**6))
    assert len(archive.read("a.xml")) == 600_000
    with pytest.raises(PayloadTooLarge):
        archive.read("a.xml")  # 1.2 MB inflated in total


def test_too_many_entries(make) -> None:
    data = make.zip({f"word/media/{i}.txt": b"" for i in range(60)})
    with pytest.raises(PayloadTooLarge) as caught:
        read_document(data, limits=Limits(max_entries=50))
    assert caught.value.code == "too_many_parts"


# ------------------------------------------------------------------ hostile XML


def _with_document(make, document_xml: bytes) -> bytes:
    return make.rewrite(make.docx(make.para("placeholder")),
                        lambda n, d: document_xml if n == "word/document.xml" else d)


def _xxe_document(make, secret_path: str, encoding: str = "utf-8") -> bytes:
    text = (f'<?xml version="1.0" encoding="{encoding}"?>'
            f'<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file://{secret_path}">]>'
            f'<w:document {make.NAMESPACES}><w:body><w:p><w:r><w:t>&xxe;</w:t></w:r></w:p>'
            "</w:body></w:document>")
    return text.encode(encoding)


@pytest.fixture
def secret_file(tmp_path) -> tuple[str, str]:
    secret = "TOP-SECRET-" + os.urandom(8).hex()
    path = tmp_path / "secret.txt"
    path.write_text(secret)
    return str(path), secret


def test_external_entity_is_refused_and_never_resolved(make, secret_file) -> None:
    path, secret = secret_file
    data = _with_document(make, _xxe_document(make, path))
    with pytest.raises(UnreadableDocument) as caught:
        read_document(data)
    error = caught.value
    assert error.code == "xml_entities_forbidden"
    assert "entity declarations" in error.message and "Office never writes" in error.message
    assert secret not in str(error.payload("r1")) and secret not in repr(error.__cause__)


def test_external_entity_in_utf16_part_is_refused(make, secret_file) -> None:
    path, secret = secret_file
    data = _with_document(make, b"\xff\xfe" + _xxe_document(make, path, "utf-16-le"))
    with pytest.raises(UnreadableDocument) as caught:
        read_document(data)
    assert caught.value.code == "xml_entities_forbidden"
    assert secret not in caught.value.message


def test_hardened_parser_itself_never_expands_general_entities(make, secret_file) -> None:
    """Defence in depth: even past the DOCTYPE refusal, &xxe; would stay unexpanded."""
    path, secret = secret_file
    root = etree.fromstring(_xxe_document(make, path), hardened_parser())
    assert secret not in etree.tostring(root, encoding="unicode")


def test_parameter_entities_are_refused_before_parsing(secret_file) -> None:
    # libxml2 loads external parameter entities even with load_dtd=False, so the DOCTYPE
    # must never reach it: parse_xml refuses it up front.
    path, secret = secret_file
    xml = f'<!DOCTYPE d [<!ENTITY % p SYSTEM "file://{path}"> %p;]><d/>'.encode()
    with pytest.raises(UnreadableDocument) as caught:
        parse_xml(xml, "word/document.xml")
    assert caught.value.code == "xml_entities_forbidden"
    assert secret not in caught.value.message


def _doctype_in(encoding: str, path: str) -> bytes:
    body = (f'<!DOCTYPE d [<!ENTITY % p SYSTEM "file://{path}"> %p;]>'
            '<d xmlns="urn:x">&p;</d>')
    if encoding == "utf-7-sneaky":  # "<!" written as UTF-7 base64, invisible to a byte scan
        return b'<?xml version="1.0" encoding="UTF-7"?>' + body.replace("<!", "+ADwAIQ-").encode()
    declared = f'<?xml version="1.0" encoding="{encoding}"?>'
    return (declared + body).encode(encoding)


@pytest.mark.parametrize("encoding", [
    "utf-16-le", "utf-16-be", "utf-32", "utf-7-sneaky", "cp037", "iso-8859-1"])
def test_doctype_is_found_in_any_encoding(secret_file, encoding: str) -> None:
    """UTF-16 without a BOM, UTF-32, UTF-7 and EBCDIC can't smuggle a DOCTYPE past the scan."""
    path, secret = secret_file
    with pytest.raises(UnreadableDocument) as caught:
        parse_xml(_doctype_in(encoding, path), "word/document.xml")
    assert caught.value.code in ("xml_entities_forbidden", "corrupt_document")
    assert secret not in caught.value.message


def test_legacy_encoded_part_still_parses() -> None:
    xml = '<?xml version="1.0" encoding="windows-1252"?><d>café</d>'.encode("cp1252")
    assert parse_xml(xml, "word/document.xml").text == "café"


def test_billion_laughs_is_refused_fast(make) -> None:
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    xml = (f'<?xml version="1.0"?><!DOCTYPE w:document [{entities}]>'
           f'<w:document {make.NAMESPACES}><w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p>'
           "</w:body></w:document>").encode()
    start = time.perf_counter()
    with pytest.raises(UnreadableDocument) as caught:
        read_document(_with_document(make, xml))
    assert time.perf_counter() - start < 0.5
    assert caught.value.code == "xml_entities_forbidden"


def test_corpus_xxe_file_is_refused(corpus_docx) -> None:
    with pytest.raises(UnreadableDocument) as caught:
        read_document(corpus_docx("poi_ExternalEntityInText_XXE.docx"))
    assert caught.value.code == "xml_entities_forbidden"


def test_malformed_xml_is_corrupt(make) -> None:
    data = _with_document(make, b"<w:document><w:body><w:p></w:body>")
    with pytest.raises(UnreadableDocument) as caught:
        read_document(data)
    assert caught.value.code == "corrupt_document"
    assert "word/document.xml" in caught.value.message


def test_absurdly_deep_xml_is_refused() -> None:
    """huge_tree stays off: libxml2 keeps its depth limit (256) for hostile nesting."""
    deep = b"<a>" * 5000 + b"</a>" * 5000
    with pytest.raises(UnreadableDocument) as caught:
        parse_xml(deep, "word/document.xml")
    assert caught.value.code == "corrupt_document"


def test_utf8_bom_is_accepted(make) -> None:
    xml = (f'\ufeff<?xml version="1.0" encoding="utf-8"?><w:document {make.NAMESPACES}>'
           f'<w:body>{make.para("With a BOM")}</w:body></w:document>').encode()
    document = read_document(_with_document(make, xml))
    assert [p.text for p in document.paragraphs] == ["With a BOM"]


def test_limits_defaults() -> None:
    limits = Limits()
    assert limits.max_decompressed_bytes == 200 * MIB
    assert limits.max_entries == 10_000
