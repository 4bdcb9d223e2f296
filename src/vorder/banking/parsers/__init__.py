"""Bank statement parsers: CAMT.053, MT940 and CODA, recognised by their content.

``parse_statement_file`` looks at the bytes, not the file name (banks and users name files
anything): a ZIP is opened and each file in it parsed; XML must be a camt.053 document; a CODA
file starts with its header record ``0000`` + date + bank + ``05``; MT940 has ``:20:`` and
``:25:``/``:60F:`` tags.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from vorder.banking.parsers.base import (
    Balance,
    ParsedLine,
    ParsedStatement,
    StatementParseError,
)
from vorder.banking.parsers.camt053 import parse_camt053
from vorder.banking.parsers.coda import looks_like_coda, parse_coda
from vorder.banking.parsers.mt940 import decode as decode_mt940
from vorder.banking.parsers.mt940 import looks_like_mt940, parse_mt940

__all__ = [
    "Balance",
    "ParsedFile",
    "ParsedLine",
    "ParsedStatement",
    "StatementParseError",
    "detect_format",
    "parse_statement_file",
]

MAX_ZIP_MEMBERS = 200
MAX_MEMBER_BYTES = 200 * 1024 * 1024


@dataclass(slots=True)
class ParsedFile:
    """The statements of one file (or of one file inside a ZIP)."""

    name: str
    statements: list[ParsedStatement]


class FileParseError(StatementParseError):
    """A parse error with the name of the file (or ZIP member) it belongs to."""

    def __init__(self, name: str, error: StatementParseError) -> None:
        super().__init__(error.message, line=error.line, field=error.field)
        self.name = name


def detect_format(data: bytes) -> str:
    """'zip', 'camt053', 'coda' or 'mt940'; raises StatementParseError for anything else."""
    if data[:4] == b"PK\x03\x04":
        return "zip"
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return "camt053"
    text = head.decode("latin-1")
    if looks_like_coda(text):
        return "coda"
    if looks_like_mt940(decode_mt940(data[:200_000])):
        return "mt940"
    if not data.strip():
        raise StatementParseError("the file is empty")
    raise StatementParseError(
        "not a bank statement vorder can read: expected CAMT.053 (XML), MT940 or CODA"
    )


_PARSERS = {"camt053": parse_camt053, "mt940": parse_mt940, "coda": parse_coda}


def parse_statement_file(data: bytes, *, name: str) -> list[ParsedFile]:
    """The statements in a file; a ZIP gives one ParsedFile per statement file inside it.

    Raises FileParseError naming the file (``archive.zip!member.xml`` inside a ZIP).
    """
    try:
        kind = detect_format(data)
    except StatementParseError as exc:
        raise FileParseError(name, exc) from exc
    if kind == "zip":
        return _parse_zip(data, name=name)
    try:
        return [ParsedFile(name, _PARSERS[kind](data, name=name))]
    except StatementParseError as exc:
        raise FileParseError(name, exc) from exc


def _parse_zip(data: bytes, *, name: str) -> list[ParsedFile]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise FileParseError(name, StatementParseError(f"a damaged ZIP file: {exc}")) from exc
    members = [
        m
        for m in archive.infolist()
        if not m.is_dir()
        and not m.filename.startswith("__MACOSX/")
        and not m.filename.rsplit("/", 1)[-1].startswith(".")
    ]
    if not members:
        raise FileParseError(name, StatementParseError("the ZIP file holds no files"))
    if len(members) > MAX_ZIP_MEMBERS:
        raise FileParseError(
            name, StatementParseError(f"the ZIP file holds more than {MAX_ZIP_MEMBERS} files")
        )
    parsed: list[ParsedFile] = []
    for member in sorted(members, key=lambda m: m.filename):
        label = f"{name}!{member.filename}"
        if member.file_size > MAX_MEMBER_BYTES:
            raise FileParseError(label, StatementParseError("the file is too large"))
        content = archive.read(member)
        parsed.extend(parse_statement_file(content, name=label))
    return parsed
