"""leads_core.files.reading, layout, headers and values: the header row, what each column
becomes, full names, and the paths that must stay linear."""

from __future__ import annotations

import time

import pytest

from leads_core.errors import ValidationFailed
from leads_core.files import layout, values
from leads_core.files.headers import detect_mapping, parse_mapping_json, plan_columns
from leads_core.files.reading import read_upload


def test_a_data_row_naming_a_field_is_not_taken_for_the_header() -> None:
    table = read_upload(b"Contact,Channel\na@x.fr,linkedin\nb@x.fr,LinkedIn\n")
    assert table.header_row == 1
    assert table.mapping == {"Contact": "email", "Channel": "attribute"}
    assert table.matched_by == {"Contact": "values", "Channel": None}
    assert [row["email"] for row in table.rows] == ["a@x.fr", "b@x.fr"]


def test_the_header_after_a_title_row_and_blank_lines() -> None:
    table = read_upload(b"Leads export March 2026\n\n\nEmail,Region\na@x.fr,Nord\n")
    assert (table.header_row, table.row_numbers) == (4, [5])
    assert table.rows == [{"email": "a@x.fr", "attributes": {"Region": "Nord"}}]


def test_a_plain_synonym_beats_a_weak_one_whatever_the_order() -> None:
    assert detect_mapping(["Title", "First Name", "Job Title"]) == {
        "Title": None,
        "First Name": "firstName",
        "Job Title": "position",
    }
    assert detect_mapping(["Title", "Email"]) == {"Title": "position", "Email": "email"}


def test_a_vendor_prefix_and_suffix_are_set_aside() -> None:
    assert detect_mapping(["Person - Email - Work", "Person - Phone - Work"]) == {
        "Person - Email - Work": "email",
        "Person - Phone - Work": "phone",
    }


def test_a_second_column_for_a_field_fills_it_where_the_first_is_blank() -> None:
    table = read_upload(b"Email,Work Phone,Mobile Phone\na@x.fr,,06 12 34 56 78\nb@x.fr,01 02,\n")
    assert table.mapping["Mobile Phone"] == "attribute"
    assert [row["phone"] for row in table.rows] == ["06 12 34 56 78", "01 02"]
    assert table.rows[0]["attributes"] == {"Mobile Phone": "06 12 34 56 78"}


@pytest.mark.parametrize(
    ("cells", "kind"),
    [
        (["a@x.fr", "b@y.com", ""], "email"),
        (["https://www.linkedin.com/in/zoe", "linkedin.com/in/amy/"], "linkedinUrl"),
        (["+33 6 12 34 56 78", "(555) 123-4567", "0612345678"], "phone"),
        (["acme.fr", "https://globex.com/about", "www.initech.io"], "website"),
        (["12345678901", "98765432101"], None),  # ids, not phones
        (["2024-03-12", "2023-01-01"], None),  # dates, not phones
        (["a@x.fr", "Acme", "Globex"], None),  # one in three agree: under 80 %
    ],
)
def test_columns_are_recognised_by_their_values(cells: list[str], kind: str | None) -> None:
    assert values.classify(cells) == kind


def test_a_full_name_is_split_unless_first_and_last_name_have_columns() -> None:
    alone = read_upload("Name,Email\nZoë Müller,z@x.fr\nSmith, John,j@x.fr\n".encode())
    assert alone.mapping["Name"] == "fullName"
    assert [(r["firstName"], r["lastName"]) for r in alone.rows] == [("Zoë", "Müller")] * 1 + [
        ("Smith", "")
    ]
    quoted = read_upload(b'Name,Email\n"Smith, John",j@x.fr\n"Dr. Mary Ann Lee PhD",m@x.fr\n')
    assert [(r["firstName"], r["lastName"]) for r in quoted.rows] == [
        ("John", "Smith"),
        ("Mary", "Ann Lee"),
    ]
    both = read_upload(b"Name,First Name,Last Name,Email\nZ M,Zoe,M,z@x.fr\n")
    assert both.mapping["Name"] == "attribute"
    assert both.rows[0]["attributes"] == {"Name": "Z M"}


def test_split_name_fast_path_agrees_with_nameparser() -> None:
    assert layout.split_name("Zoë Müller") == ("Zoë", "Müller")
    assert layout.split_name("Mr. Smith") == ("", "Smith")
    assert layout.split_name("Madonna") == ("Madonna", "")


def test_an_explicit_mapping_can_keep_ignore_or_split() -> None:
    headers = ["Who", "Mail", "Notes"]
    columns = [["Zoë Müller"], ["z@x.fr"], ["hi"]]
    plan = plan_columns(headers, columns, {"Who": "fullName", "Notes": None})
    assert plan.mapping == {"Who": "fullName", "Mail": "email", "Notes": None}
    assert plan.matched_by == {"Who": "mapping", "Mail": "header", "Notes": "mapping"}
    with pytest.raises(ValidationFailed, match="both mapped to 'email'"):
        plan_columns(headers, columns, {"Who": "email", "Mail": "email"})
    with pytest.raises(ValidationFailed, match="not a lead field"):
        plan_columns(headers, columns, {"Who": "shoeSize"})


@pytest.mark.parametrize(
    "raw", ["[" * 100_000 + "]" * 100_000, '{"a": {"b": "c"}}', '{"a": 1}', "x" * 200_000]
)
def test_a_mapping_that_is_no_flat_object_is_a_422(raw: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_mapping_json(raw)
    assert caught.value.details[0]["field"] == "mapping"


def test_repeated_headers_are_renamed_in_linear_time() -> None:
    names = ["a"] * 240 + [f"a ({n})" for n in range(2, 400)]
    started = time.perf_counter()
    headers = layout.unique_headers(names[: layout.MAX_COLUMNS])
    assert len(set(headers)) == len(headers) == layout.MAX_COLUMNS
    assert headers[:3] == ["a", "a (2)", "a (3)"]
    # 30,000 columns of one name took 85 s when each rename tried "a (2)", "a (3)"… in turn
    wide = ("a," * 30_000 + "Email\n" + "x," * 30_000 + "a@x.fr\n").encode()
    with pytest.raises(ValidationFailed, match="30001 columns"):
        read_upload(wide)
    # ~1 s here; the bound only tells linear from that quadratic 85 s on a loaded machine
    assert time.perf_counter() - started < 30
