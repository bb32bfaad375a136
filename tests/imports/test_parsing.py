"""File layout detection and cell parsing: encodings, delimiters, quoting, header mapping."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError

from harken.imports import csvio
from harken.imports.fields import check_mapping, merge_mapping, parse_datetime, parse_email, suggest_mapping
from tests.imports.helpers import FIXTURES


def sniff(name: str) -> tuple[csvio.Layout, list[csvio.Record]]:
    with (FIXTURES / name).open("rb") as handle:
        layout = csvio.sniff(handle)
        _, records = csvio.iter_records(handle, layout)
        return layout, list(records)


@pytest.mark.parametrize(
    ("name", "encoding"),
    [
        ("feedback_utf8.csv", "utf-8"),
        ("feedback_utf8_bom.csv", "utf-8-sig"),
        ("feedback_utf16le.csv", "utf-16"),
        ("feedback_utf16be.csv", "utf-16"),
        ("feedback_latin1.csv", "cp1252"),
        ("feedback_cp1252.csv", "cp1252"),
    ],
)
def test_encodings_are_detected_and_decoded(name: str, encoding: str) -> None:
    layout, records = sniff(name)
    assert layout.encoding == encoding
    assert layout.header[0] == "Id"  # no BOM left in the first header
    assert records[0].values["Comment"].startswith("Crème brûlée export is broken")
    assert records[1].values["Comment"] == "Søk etter kunder fungerer ikke"


def test_utf16_without_bom_is_detected() -> None:
    data = "Id,Comment\n1,Grüße aus Köln\n".encode("utf-16-le")
    layout = csvio.sniff(io.BytesIO(data))
    assert layout.encoding == "utf-16-le"
    _, records = csvio.iter_records(io.BytesIO(data), layout)
    assert next(records).values["Comment"] == "Grüße aus Köln"


@pytest.mark.parametrize(
    ("name", "delimiter"),
    [
        ("feedback_utf8.csv", ","),
        ("feedback_semicolon.csv", ";"),
        ("feedback_tab.tsv", "\t"),
        ("feedback_pipe.csv", "|"),
    ],
)
def test_delimiters(name: str, delimiter: str) -> None:
    layout, records = sniff(name)
    assert layout.delimiter == delimiter
    assert layout.header == ["Id", "Date", "E-mail address", "Comment", "Tags", "Product"]
    assert [r.values["Id"] for r in records] == ["T-1", "T-2", "T-3"]


def test_single_column_file_falls_back_to_comma() -> None:
    layout = csvio.sniff(io.BytesIO(b"Comment\nhello\nworld\n"))
    assert layout.delimiter == ","
    assert layout.header == ["Comment"]


def test_quoted_newlines_stay_inside_the_cell_and_rows_are_numbered_like_a_spreadsheet() -> None:
    _, records = sniff("feedback_quoted_newlines.csv")
    assert len(records) == 2
    assert records[0].values["Comment"] == 'First line\nSecond line, with comma\n"Quoted" third line'
    assert [r.number for r in records] == [2, 3]


@pytest.mark.parametrize("name", ["empty.csv", "whitespace_only.csv"])
def test_empty_file(name: str) -> None:
    with pytest.raises(ValidationError, match="The file is empty"), (FIXTURES / name).open("rb") as handle:
        csvio.sniff(handle)


def test_binary_file_is_refused_with_a_clear_message() -> None:
    with (
        pytest.raises(ValidationError, match="could not read this file as text"),
        (FIXTURES / "binary.csv").open("rb") as h,
    ):
        csvio.sniff(h)


def test_bad_bytes_after_the_sample_are_reported_with_the_row() -> None:
    good = b"Id,Comment\n" + b"".join(b"%d,fine row number %d\n" % (i, i) for i in range(30000))
    assert len(good) > csvio.SAMPLE_BYTES
    data = good + b"30000,caf\xe9\n"
    layout = csvio.sniff(io.BytesIO(data))
    assert layout.encoding == "utf-8"
    _, records = csvio.iter_records(io.BytesIO(data), layout)
    with pytest.raises(ValidationError, match="not valid utf-8"):
        list(records)


def test_blank_and_repeated_headers_get_names() -> None:
    assert csvio.clean_header(["Email", " ", "email", "  Name  "]) == ["Email", "Column 2", "email (2)", "Name"]


def test_short_rows_are_padded() -> None:
    layout = csvio.sniff(io.BytesIO(b"a,b,c\n1,2,3\n4\n"))
    _, records = csvio.iter_records(io.BytesIO(b"a,b,c\n1,2,3\n4\n"), layout)
    assert [r.values for r in records] == [{"a": "1", "b": "2", "c": "3"}, {"a": "4", "b": "", "c": ""}]


def test_mapping_is_suggested_from_headers() -> None:
    header = ["Ticket ID", "Created at", "E-mail address", "Company", "Comment", "Tags", "Product", "Subject"]
    assert suggest_mapping("feedback", header) == {
        "text": "Comment",
        "title": "Subject",
        "author_email": "E-mail address",
        "account": "Company",
        "received_at": "Created at",
        "external_id": "Ticket ID",
        "tags": "Tags",
        "product_line": "Product",
    }
    assert suggest_mapping("feedback", ["Body", "Date", "Id"]) == {
        "text": "Body",
        "received_at": "Date",
        "external_id": "Id",
    }
    assert suggest_mapping("accounts", ["Company", "ARR", "Website"]) == {
        "name": "Company",
        "arr": "ARR",
        "domain": "Website",
    }
    assert suggest_mapping("contacts", ["Email", "Full name", "Company"]) == {
        "email": "Email",
        "name": "Full name",
        "account_name": "Company",
    }


def test_missing_required_columns_are_named() -> None:
    with pytest.raises(ValidationError) as exc:
        check_mapping("feedback", ["Ticket", "Who"], {"author_email": "Who"})
    assert "Missing required column: Feedback text (text)" in exc.value.messages[0]
    with pytest.raises(ValidationError, match="not in the file"):
        check_mapping("feedback", ["Ticket"], {"text": "Body"})
    with pytest.raises(ValidationError, match="more than one field"):
        check_mapping("feedback", ["Body"], {"text": "Body", "title": "Body"})


def test_explicit_mapping_overrides_the_suggestion_either_way_round() -> None:
    header = ["Who", "Notes", "Comment"]
    suggested = suggest_mapping("feedback", header)
    assert suggested == {"text": "Comment"}
    assert merge_mapping("feedback", header, suggested, {"Notes": "text", "author_email": "Who"}) == {
        "text": "Notes",
        "author_email": "Who",
    }
    with pytest.raises(ValidationError, match="Cannot map 'Nope'"):
        merge_mapping("feedback", header, suggested, {"Nope": "text"})


def test_dates_and_emails() -> None:
    assert parse_datetime("2026-03-17 14:05", "Europe/Berlin").isoformat() == "2026-03-17T14:05:00+01:00"
    assert parse_datetime("2026-03-17T14:05:00Z").isoformat() == "2026-03-17T14:05:00+00:00"
    assert parse_datetime("17/03/2026").date().isoformat() == "2026-03-17"
    assert parse_datetime("03/17/2026").date().isoformat() == "2026-03-17"
    with pytest.raises(ValueError, match="day/month or month/day"):
        parse_datetime("03/04/2026")
    with pytest.raises(ValueError, match="must be a date"):
        parse_datetime("soon")
    assert parse_email('"Zoë" <Zoe@Acme.test>') == "zoe@acme.test"
    with pytest.raises(ValueError, match="must be an email address, got 'nope'"):
        parse_email("nope")
