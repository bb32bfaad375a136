"""Reading uploaded CSV files: encoding and dialect detection, then a row stream.

Files are read in binary from storage and decoded incrementally, so a 50 MB export is never held
in memory: only a small sample (for detection) and the current row are.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from django.core.exceptions import ValidationError

SAMPLE_BYTES = 256 * 1024
DELIMITERS = [",", ";", "\t", "|"]
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}

BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]

# csv's default limit (128 KiB) is too small for long feedback texts.
csv.field_size_limit(16 * 1024 * 1024)


@dataclass
class Layout:
    encoding: str
    delimiter: str
    header: list[str]


def detect_encoding(sample: bytes) -> str:
    """BOM first, then strict UTF-8, then charset-normalizer's best guess."""
    if not sample:
        raise ValidationError("The file is empty.")
    for bom, name in BOMS:
        if sample.startswith(bom):
            return name
    try:
        codecs.getincrementaldecoder("utf-8")("strict").decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    if b"\x00" in sample[:4096] and sample.count(b"\x00") > len(sample) // 4:
        # UTF-16 without a BOM: every other byte of ASCII text is NUL.
        even_nuls = sample[0:4096:2].count(b"\x00")
        odd_nuls = sample[1:4096:2].count(b"\x00")
        if odd_nuls > even_nuls * 4:
            return "utf-16-le"
        if even_nuls > odd_nuls * 4:
            return "utf-16-be"
    from charset_normalizer import from_bytes

    best = from_bytes(sample, cp_isolation=None).best()
    if best is None or b"\x00" in sample:
        raise ValidationError(
            "We could not read this file as text. Save it as CSV (UTF-8 is best) from your spreadsheet and upload it again."
        )
    encoding = best.encoding
    if encoding in ("ascii", "latin_1", "iso8859_1", "iso8859_15", "cp1250", "cp1252") or encoding.startswith(
        "iso8859"
    ):
        # Western exports: cp1252 is a superset of Latin-1 for printable characters.
        encoding = _western(sample)
    return codecs.lookup(encoding).name


def _western(sample: bytes) -> str:
    try:
        sample.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def _sample_text(sample: bytes, encoding: str) -> str:
    decoder = codecs.getincrementaldecoder(encoding)("replace")
    text = decoder.decode(sample, final=False)
    return text.lstrip("\ufeff")


def detect_delimiter(text: str) -> str:
    """csv.Sniffer on whole lines, checked for consistency; else the most frequent candidate in the header."""
    cut = max(text.rfind("\n"), text.rfind("\r"))
    lines_text = text[: cut + 1] if cut > 0 else text
    try:
        dialect = csv.Sniffer().sniff(lines_text[: 64 * 1024], delimiters="".join(DELIMITERS))
        if _consistent(lines_text, dialect.delimiter):
            return dialect.delimiter
    except csv.Error:
        pass
    first_line = _first_record(lines_text)
    counts = {d: _count_outside_quotes(first_line, d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _first_record(text: str) -> str:
    in_quotes = False
    for i, ch in enumerate(text):
        if ch == '"':
            in_quotes = not in_quotes
        elif ch == "\n" and not in_quotes:
            return text[:i]
    return text


def _count_outside_quotes(line: str, delimiter: str) -> int:
    count, in_quotes = 0, False
    for ch in line:
        if ch == '"':
            in_quotes = not in_quotes
        elif ch == delimiter and not in_quotes:
            count += 1
    return count


def _consistent(text: str, delimiter: str) -> bool:
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))[:50]
    rows = [r for r in rows if r]
    if not rows or len(rows[0]) < 2:
        return False
    width = len(rows[0])
    return sum(1 for r in rows if len(r) == width) >= max(1, int(len(rows) * 0.8))


def clean_header(raw: list[str]) -> list[str]:
    """Trim names, name blank columns, and make repeated names unique ("Email", "Email (2)")."""
    header: list[str] = []
    seen: dict[str, int] = {}
    for i, name in enumerate(raw, start=1):
        name = " ".join((name or "").replace("\x00", "").split()) or f"Column {i}"
        key = name.lower()
        if key in seen:
            seen[key] += 1
            name = f"{name} ({seen[key]})"
        else:
            seen[key] = 1
        header.append(name)
    return header


def sniff(binary: IO[bytes]) -> Layout:
    """Detect encoding, delimiter and header from the start of the file (the stream is rewound)."""
    binary.seek(0)
    sample = binary.read(SAMPLE_BYTES)
    binary.seek(0)
    encoding = detect_encoding(sample)
    text = _sample_text(sample, encoding)
    if not text.strip():
        raise ValidationError("The file is empty.")
    try:
        delimiter = detect_delimiter(text)
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            if any(cell.strip() for cell in row):
                return Layout(encoding=encoding, delimiter=delimiter, header=clean_header(row))
    except csv.Error as exc:  # never a 500: the reason, with what to do
        raise ValidationError(
            f"The first rows could not be read as CSV ({exc}). Save the file as CSV and upload it again."
        ) from None
    raise ValidationError("The file is empty.")


class CountingReader(io.RawIOBase):
    """Wraps a binary stream and counts bytes read, for progress."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.bytes_read += n
        return n


@dataclass
class Record:
    number: int  # spreadsheet row number: the header is row 1, the first data row is row 2
    values: dict[str, str]
    width: int
    problem: str = ""  # the row could not be read as it stands (unterminated quote, NUL byte): an error row


class _Lines:
    """Feeds lines to csv.reader and remembers the raw lines of the record being read."""

    def __init__(self, lines: Iterator[str]) -> None:
        self.lines = lines
        self.current: list[str] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = next(self.lines)
        self.current.append(line)
        return line


def _unterminated(lines: list[str], delimiter: str) -> bool:
    """True when these raw lines (one record) end inside a quoted cell: the quote was never closed."""
    try:
        for _ in csv.reader(iter(lines), delimiter=delimiter, strict=True):
            pass
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False


def iter_records(binary: IO[bytes], layout: Layout) -> tuple[CountingReader, Iterator[Record]]:
    """Stream data rows as {header: value}; blank lines are skipped, quoted newlines kept.

    A quote that is never closed would swallow every later row into one cell (the csv module reads
    to the end of the file): that row is reported as an error row and the lines after it are read
    again as rows of their own, so nothing is dropped silently. A cell with a NUL byte is an error row.
    """
    binary.seek(0)
    counter = CountingReader(binary)
    text = io.TextIOWrapper(io.BufferedReader(counter, buffer_size=64 * 1024), encoding=layout.encoding, newline="")

    def records() -> Iterator[Record]:
        number = 0
        header_seen = False
        sources: list[Iterator[str]] = [iter(text)]
        try:
            while sources:
                lines = _Lines(sources.pop())
                reader = csv.reader(lines, delimiter=layout.delimiter)
                for row in reader:
                    raw, lines.current = lines.current, []
                    number += 1
                    if not any(cell.strip() for cell in row):
                        continue
                    if not header_seen:
                        header_seen = True
                        continue
                    if len(raw) > 1 and _unterminated(raw, layout.delimiter):
                        yield Record(
                            number=number,
                            values={name: "" for name in layout.header},
                            width=len(row),
                            problem='a quoted cell starts here and is never closed (a " without its closing "), '
                            f"so the {len(raw) - 1} line(s) after it were read again as rows of their own. "
                            "Fix the quote in this row and import it again.",
                        )
                        sources.append(iter(raw[1:]))
                        break
                    values = {name: (row[i] if i < len(row) else "") for i, name in enumerate(layout.header)}
                    problem = ""
                    nul = next((name for name, value in values.items() if "\x00" in value), None)
                    if nul is not None:
                        problem = f"column '{nul}' contains a NUL byte (\\x00); remove it and import the row again."
                    yield Record(number=number, values=values, width=len(row), problem=problem)
        except UnicodeDecodeError as exc:
            raise ValidationError(
                f"Row {number + 1}: the file is not valid {layout.encoding} from here on ({exc.reason}). "
                "Save it again as UTF-8 and re-upload."
            ) from None
        except csv.Error as exc:
            raise ValidationError(f"Row {number + 1}: the CSV is malformed ({exc}).") from None

    return counter, records()
