"""leads_core.files.reading.read_upload on CSV files: encoding, delimiter, header matching
and row reading (leads_core.files.csvfile, headers, layout)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from leads_core.errors import BadFile, ValidationFailed
from leads_core.files.headers import (
    HEADER_SYNONYMS,
    LEAD_FIELDS,
    detect_mapping,
    normalise_header,
)
from leads_core.files.reading import FileTable, read_upload
from tests.expected import SAMPLE_LEADS_MAPPING

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def sample(name: str) -> FileTable:
    return read_upload((FIXTURES / name).read_bytes())


def row(table: FileTable, number: int) -> dict[str, str]:
    """The row a spreadsheet shows as ``number``."""
    return table.rows[table.row_numbers.index(number)]


# --------------------------------------------------------------------------- sample_leads.csv

LEADS_HEADERS = [
    "First Name",
    "Last Name",
    "E-mail Address",
    "Company Name",
    "Job Title",
    "LinkedIn",
    "Phone Number",
    "Website",
    "Source",
    "Notes",
    "Favourite colour",
]


def test_sample_leads_format_and_mapping():
    table = sample("sample_leads.csv")
    assert (table.kind, table.encoding, table.delimiter) == ("csv", "utf-8-sig", ";")
    assert (table.header_row, table.sheet, table.sheets) == (1, None, ())
    assert table.headers == LEADS_HEADERS
    assert table.mapping == SAMPLE_LEADS_MAPPING
    assert table.matched_by == {h: "header" for h in LEADS_HEADERS[:-1]} | {
        "Favourite colour": None
    }
    # The unknown column is kept on each lead as an attribute, not ignored.
    assert table.ignored_columns == []
    assert table.attribute_columns == ["Favourite colour"]
    # Each row holds the mapped fields, in the file's column order, then its attributes
    # when its "Favourite colour" cell is filled.
    fields = [f for f in SAMPLE_LEADS_MAPPING.values() if f != "attribute"]
    colours = {2: "bleu", 4: "vert", 9: "rose", 15: "jaune"}
    for number, r in zip(table.row_numbers, table.rows, strict=True):
        if number in colours:
            assert list(r) == [*fields, "attributes"]
            assert r["attributes"] == {"Favourite colour": colours[number]}
        else:
            assert list(r) == fields


def test_sample_leads_rows_and_row_numbers():
    table = sample("sample_leads.csv")
    assert len(table.rows) == 40
    # Row 5 spans two physical lines, row 7 is an empty line, row 30 only ";;;;".
    assert table.row_numbers == [*range(2, 7), *range(8, 30), *range(31, 44)]
    assert row(table, 6)["firstName"] == "Oliver"  # right after the two-line cell
    assert row(table, 8)["firstName"] == "François"  # right after the blank line
    assert row(table, 31)["firstName"] == "Élodie"
    assert row(table, 43)["lastName"] == "Simon"


def test_sample_leads_tricky_cells_are_verbatim():
    table = sample("sample_leads.csv")
    assert row(table, 5)["notes"] == (
        "Called on 12/03.\nInterested in the Pro plan — call back after the board meeting."
    )
    assert row(table, 3)["notes"] == "Intro via Marc; wants a demo in Q2"
    assert row(table, 26)["notes"] == "Prefers email; no calls before 10am"
    assert row(table, 9)["company"] == 'Le "Petit" Atelier'
    assert row(table, 10)["company"] == '=HYPERLINK("http://evil","x")'
    assert row(table, 11)["notes"] == "@SUM(A1)"
    assert row(table, 12)["notes"] == "- met at VivaTech, booth B12"
    assert row(table, 2)["phone"] == "+33 6 39 98 12 01"
    assert row(table, 3)["lastName"] == "Lefèvre"
    assert row(table, 4)["firstName"] == "Émilie"


def test_sample_leads_duplicates_and_bad_rows_as_documented():
    table = sample("sample_leads.csv")
    assert row(table, 19)["email"] == "Camille.Martin@Nexora.io"  # spaces stripped, case kept
    assert row(table, 2)["email"] == "camille.martin@nexora.io"
    assert row(table, 36)["email"] == "RACHEL.GREEN@LUMEN-ANALYTICS.COM"
    assert row(table, 23)["email"] == "rachel.green@lumen-analytics.com"
    assert row(table, 28)["email"] == ""
    assert row(table, 28)["linkedinUrl"] == "https://linkedin.com/in/sophie-bernard-7a1b2c"
    assert row(table, 15)["linkedinUrl"] == "https://www.linkedin.com/in/sophie-bernard-7a1b2c/"
    no_contact = [
        n
        for n, r in zip(table.row_numbers, table.rows, strict=True)
        if not r["email"] and not r["linkedinUrl"]
    ]
    assert no_contact == [16, 24, 33]
    assert row(table, 22)["email"] == "not-an-email"
    assert row(table, 22)["linkedinUrl"] != ""


# --------------------------------------------------------------------------- sample_latin1.csv


def test_sample_latin1_is_windows_1252_tab_separated():
    table = sample("sample_latin1.csv")
    assert table.encoding == "cp1252"
    assert table.delimiter == "\t"
    assert table.mapping == {
        "First Name": "firstName",
        "Last Name": "lastName",
        "Title": "position",
        "Company": "company",
        "Location": "attribute",
        "Profile URL": "linkedinUrl",
        "Email": "email",
        "Notes": "notes",
    }
    assert table.ignored_columns == []
    assert table.attribute_columns == ["Location"]
    assert len(table.rows) == 10
    assert table.row_numbers == list(range(2, 12))
    assert [r["attributes"] for r in table.rows[:3]] == [
        {"Location": "Lyon, Auvergne-Rhône-Alpes, France"},
        {"Location": "Paris, Île-de-France, France"},
        {"Location": "München, Bayern, Deutschland"},
    ]
    assert all(list(r["attributes"]) == ["Location"] for r in table.rows)


def test_sample_latin1_accents_decoded():
    table = sample("sample_latin1.csv")
    assert (row(table, 2)["firstName"], row(table, 2)["lastName"]) == ("Hélène", "Lefèvre")
    assert row(table, 2)["notes"] == "Budget annuel : 15 000 €"
    assert (row(table, 3)["firstName"], row(table, 3)["lastName"]) == ("François", "Garçon")
    assert row(table, 3)["company"] == "Crème & Cœur"
    assert row(table, 3)["notes"] == "Intéressé par l’offre Pro"
    assert (row(table, 4)["firstName"], row(table, 4)["lastName"]) == ("Jürgen", "Müller")
    assert row(table, 11)["notes"] == "« Très bon contact » — rappeler en septembre"
    assert row(table, 5)["email"] == ""


# --------------------------------------------------------------------------- sample_apollo.csv


def test_sample_apollo_mapping():
    table = sample("sample_apollo.csv")
    assert table.encoding == "utf-8"
    assert table.delimiter == ","
    mapped = {h: f for h, f in table.mapping.items() if f != "attribute"}
    assert mapped == {
        "First Name": "firstName",
        "Last Name": "lastName",
        "Title": "position",
        "Company": "company",
        "Email": "email",
        "Work Direct Phone": "phone",
        "Person Linkedin Url": "linkedinUrl",
        "Website": "website",
    }
    # Every other column is kept as an attribute; none is ignored.
    assert table.mapping["Company Linkedin Url"] == "attribute"
    assert table.mapping["Email Status"] == "attribute"
    assert table.mapping["Corporate Phone"] == "attribute"
    assert table.ignored_columns == []
    assert len(table.attribute_columns) == 17
    assert len(table.rows) == 10
    assert table.row_numbers == list(range(2, 12))
    megan = row(table, 2)
    assert megan["linkedinUrl"] == "http://www.linkedin.com/in/megan-turner-eng"
    assert megan["phone"] == "+1 415-555-0121"
    assert megan["attributes"]["Mobile Phone"] == "+1 415-555-0184"
    assert (
        megan["attributes"]["Company Linkedin Url"] == "http://www.linkedin.com/company/stackline"
    )
    assert megan["attributes"]["Apollo Contact Id"] == "65f1a2b3c4d5e6f708192a01"
    assert row(table, 6)["company"] == "Céleste AI"
    # Rows 4, 7 and 10 have no "Work Direct Phone": their phone is the first other phone
    # column (Home, Mobile, Corporate, Other) that has one, still kept as an attribute too.
    assert [row(table, n)["phone"] for n in (4, 7, 10)] == [
        "+1 646-555-0150",  # Corporate Phone
        "+1 512-555-0166",  # Mobile Phone (before Corporate Phone +1 512-555-0100)
        "+1 628-555-0100",  # Corporate Phone
    ]
    assert row(table, 7)["attributes"]["Corporate Phone"] == "+1 512-555-0100"


# --------------------------------------------------------------------------- header matching

REQUIRED_SYNONYMS = {
    "firstName": ["First Name", "first_name", "Firstname", "Given name", "Prénom", "firstName"],
    "lastName": ["Last Name", "Surname", "Family name", "Nom", "lastName", "last-name"],
    "email": [
        "E-mail Address",
        "Email",
        "Email Address",
        "Work Email",
        "E-mail",
        "Courriel",
        "email",
    ],
    "company": [
        "Company Name",
        "Company",
        "Organization",
        "Account Name",
        "Entreprise",
        "Société",
        "company",
    ],
    "position": ["Job Title", "Title", "Position", "Role", "Poste", "position"],
    "linkedinUrl": [
        "LinkedIn",
        "LinkedIn URL",
        "Person Linkedin Url",
        "Profile URL",
        "LinkedIn Profile",
        "linkedin_url",
        "linkedinUrl",
    ],
    "phone": [
        "Phone Number",
        "Phone",
        "Mobile Phone",
        "Work Direct Phone",
        "Mobile",
        "Téléphone",
        "Corporate Phone",
        "phone",
    ],
    "website": [
        "Website",
        "Company Website",
        "Website URL",
        "Domain",
        "Company Domain",
        "URL",
        "Site web",
        "website",
    ],
    "source": ["Source", "Lead Source", "Original Source", "source"],
    "status": ["Status", "Lead Status", "status"],
    "notes": ["Notes", "Note", "Comments", "notes"],
}


@pytest.mark.parametrize(
    ("header", "field"),
    [(h, f) for f, headers in REQUIRED_SYNONYMS.items() for h in headers],
)
def test_header_synonym_matches(header, field):
    assert detect_mapping([header]) == {header: field}


@pytest.mark.parametrize(
    "header",
    ["First Name", "first_name", "FirstName", "first-name", " FIRST.NAME ", "\ufeffFirst name"],
)
def test_header_normalisation(header):
    assert normalise_header(header) == "firstname"
    assert detect_mapping([header])[header] == "firstName"


def test_header_matching_is_accent_insensitive():
    assert detect_mapping(["PRENOM", "Societe", "Telephone", "Prénom"]) == {
        "PRENOM": "firstName",
        "Societe": "company",
        "Telephone": "phone",
        "Prénom": None,  # firstName already taken by the first column
    }


@pytest.mark.parametrize(
    "header",
    ["Company Linkedin Url", "Email Status", "Email Confidence", "Favourite colour", "", "#"],
)
def test_headers_that_must_not_match(header):
    assert detect_mapping([header]) == {header: None}


def test_detect_mapping_first_header_wins():
    assert detect_mapping(["Work Direct Phone", "Mobile Phone", "Email", "E-mail"]) == {
        "Work Direct Phone": "phone",
        "Mobile Phone": None,
        "Email": "email",
        "E-mail": None,
    }


def test_synonyms_cover_every_field_without_collisions():
    assert set(HEADER_SYNONYMS) == set(LEAD_FIELDS)
    owner: dict[str, str] = {}
    for field, synonyms in HEADER_SYNONYMS.items():
        for synonym in (field, *synonyms):
            key = normalise_header(synonym)
            assert key, synonym
            assert owner.setdefault(key, field) == field, synonym


# --------------------------------------------------------------------------- explicit mapping


def test_mapping_override_wins_and_other_headers_still_auto_match():
    data = (FIXTURES / "sample_leads.csv").read_bytes()
    table = read_upload(data, {"Favourite colour": "notes", "Notes": None, "Website": "ignore"})
    assert table.mapping["Favourite colour"] == "notes"
    assert table.mapping["Notes"] is None
    assert table.mapping["Website"] is None
    assert table.mapping["E-mail Address"] == "email"
    assert table.ignored_columns == ["Website", "Notes"]
    assert row(table, 2)["notes"] == "bleu"
    assert row(table, 3)["notes"] == ""
    assert "website" not in row(table, 2)


def test_mapping_claiming_a_field_unmaps_the_auto_matched_column():
    table = read_upload(
        b"Email,Work Email\na@x.fr,b@x.fr\n,c@x.fr\nd@x.fr,\n", {"Work Email": "email"}
    )
    # The column the header matched is kept as an attribute, and fills the field on the
    # rows where the mapped column is blank.
    assert table.mapping == {"Email": "attribute", "Work Email": "email"}
    assert table.matched_by == {"Email": None, "Work Email": "mapping"}
    assert table.rows == [
        {"email": "b@x.fr", "attributes": {"Email": "a@x.fr"}},
        {"email": "c@x.fr"},
        {"email": "d@x.fr", "attributes": {"Email": "d@x.fr"}},
    ]


def test_mapping_empty_string_means_ignore():
    table = read_upload(b"Email,Notes\na@x.fr,hi\n", {"Notes": ""})
    assert table.mapping == {"Email": "email", "Notes": None}
    assert table.ignored_columns == ["Notes"]
    assert table.rows == [{"email": "a@x.fr"}]


@pytest.mark.parametrize(
    ("mapping", "needle"),
    [
        ({"Courriel": "email"}, "'Courriel'"),
        ({"Email": "mail"}, "'mail'"),
        ({"Email": "email", "Notes": "email"}, "both mapped to 'email'"),
    ],
)
def test_bad_mapping_raises_validation_failed(mapping, needle):
    with pytest.raises(ValidationFailed) as caught:
        read_upload(b"Email,Notes\na@x.fr,hi\n", mapping)
    assert needle in caught.value.message
    assert caught.value.details
    assert all(d["field"] == "mapping" for d in caught.value.details)
    assert needle in caught.value.details[0]["message"]


@pytest.mark.parametrize("mapping", [["email"], "email", 3])
def test_mapping_that_is_not_an_object(mapping):
    with pytest.raises(ValidationFailed, match="expected an object") as caught:
        read_upload(b"Email\na@x.fr\n", mapping)
    assert caught.value.details[0]["field"] == "mapping"


def test_empty_mapping_is_auto_match():
    assert read_upload(b"Email\na@x.fr\n", {}).mapping == {"Email": "email"}


def test_bad_mapping_lists_every_problem():
    with pytest.raises(ValidationFailed) as caught:
        read_upload(b"Email,Notes\na@x.fr,hi\n", {"Nope": "email", "Notes": "colour"})
    assert len(caught.value.details) == 2


def test_no_column_matches_a_lead_field():
    # Read, every column kept as an attribute: the importer refuses the rows (no email).
    table = read_upload(b"Foo;Bar\n1;2\n")
    assert (table.delimiter, table.headers) == (";", ["Foo", "Bar"])
    assert table.mapping == {"Foo": "attribute", "Bar": "attribute"}
    assert table.matched_by == {"Foo": None, "Bar": None}
    assert table.rows == [{"attributes": {"Foo": "1", "Bar": "2"}}]


def test_mapping_everything_ignored_is_no_match():
    with pytest.raises(ValidationFailed) as caught:
        read_upload(b"Email\na@x.fr\n", {"Email": None})
    assert caught.value.message == (
        "Every column is ignored by the mapping; map at least one to a lead field."
    )
    assert caught.value.details == [{"field": "mapping", "message": "every column ignored"}]


# --------------------------------------------------------------------------- delimiters


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiters(delimiter):
    text = delimiter.join(["Email", "Company", "Notes"]) + "\r\n"
    text += delimiter.join(["a@x.fr", '"Acme, Inc; Ltd|\tGroup"', "hello"]) + "\r\n"
    table = read_upload(text.encode())
    assert table.delimiter == delimiter
    assert table.rows == [
        {"email": "a@x.fr", "company": "Acme, Inc; Ltd|\tGroup", "notes": "hello"}
    ]


def test_delimiter_from_header_not_from_commas_in_data():
    lines = ["Email;Notes"] + [f"u{i}@x.fr;one, two, three, four, five" for i in range(20)]
    table = read_upload("\n".join(lines).encode())
    assert table.delimiter == ";"
    assert table.rows[0] == {"email": "u0@x.fr", "notes": "one, two, three, four, five"}


def test_delimiters_inside_quoted_headers_do_not_count():
    table = read_upload(b'"Notes, comments, remarks";Email\n"a, b";a@x.fr\n')
    assert table.delimiter == ";"
    assert table.headers == ["Notes, comments, remarks", "Email"]


def test_delimiter_tie_settled_by_consistent_rows():
    # Header: two "," and two ";". The rows only make sense with ";".
    data = b"Email;Company, Inc;Notes, misc\na@x.fr;Acme;hi\nb@x.fr;Beta;yo\n"
    table = read_upload(data, {"Company, Inc": "company", "Notes, misc": "notes"})
    assert table.delimiter == ";"
    assert table.rows[1] == {"email": "b@x.fr", "company": "Beta", "notes": "yo"}


def test_single_column_file_falls_back_to_comma():
    table = read_upload(b"Email\r\na@x.fr\r\nb@x.fr\r\n")
    assert table.delimiter == ","
    assert table.rows == [{"email": "a@x.fr"}, {"email": "b@x.fr"}]


def test_excel_sep_hint_line():
    table = read_upload(b"sep=;\r\nEmail;Company\r\na@x.fr;Acme, Inc\r\n")
    assert table.delimiter == ";"
    assert table.headers == ["Email", "Company"]
    assert table.row_numbers == [2]


# --------------------------------------------------------------------------- rows


def test_row_numbers_count_records_not_lines():
    data = (
        b"Email,Notes\r\n"
        b'a@x.fr,"line 1\nline 2\nline 3"\r\n'
        b"b@x.fr,ok\r\n"
        b"\r\n"
        b",\r\n"
        b"  ,  \r\n"
        b"c@x.fr,after blanks\r\n"
    )
    table = read_upload(data)
    assert table.row_numbers == [2, 3, 7]
    assert table.rows[0]["notes"] == "line 1\nline 2\nline 3"
    assert table.rows[2] == {"email": "c@x.fr", "notes": "after blanks"}


def test_blank_lines_before_header_count_as_rows():
    table = read_upload(b"\n\nEmail\na@x.fr\n")
    assert table.headers == ["Email"]
    assert table.row_numbers == [4]


def test_row_with_only_an_attribute_cell_is_kept():
    table = read_upload(b"Email,Colour\n,blue\n")
    assert table.rows == [{"email": "", "attributes": {"Colour": "blue"}}]
    assert table.row_numbers == [2]


def test_row_with_only_an_ignored_cell_is_kept():
    table = read_upload(b"Email,Colour\n,blue\n", {"Colour": "ignore"})
    assert table.rows == [{"email": ""}]
    assert table.row_numbers == [2]


def test_short_and_long_rows():
    data = b"Email,Company,Notes\na@x.fr\nb@x.fr,Acme,hi,extra,more\n"
    table = read_upload(data)
    # Cells beyond the header are columns without a name, kept as attributes.
    assert table.headers == ["Email", "Company", "Notes", "Column 4", "Column 5"]
    assert table.attribute_columns == ["Column 4", "Column 5"]
    assert table.rows == [
        {"email": "a@x.fr", "company": "", "notes": ""},
        {
            "email": "b@x.fr",
            "company": "Acme",
            "notes": "hi",
            "attributes": {"Column 4": "extra", "Column 5": "more"},
        },
    ]


def test_mapped_columns_not_first():
    table = read_upload(b"Colour,Email,Size,Notes\nblue\nred, a@x.fr ,XL,hi\n")
    assert table.rows == [
        {"email": "", "notes": "", "attributes": {"Colour": "blue"}},
        {"email": "a@x.fr", "notes": "hi", "attributes": {"Colour": "red", "Size": "XL"}},
    ]
    single = read_upload(b"Colour,Email\nblue\nred,b@x.fr\n")
    assert single.rows == [
        {"email": "", "attributes": {"Colour": "blue"}},
        {"email": "b@x.fr", "attributes": {"Colour": "red"}},
    ]
    assert single.row_numbers == [2, 3]


def test_cells_are_stripped_of_surrounding_whitespace_only():
    data = 'Email,Notes\n  a@x.fr\u00a0, " two  words "\n'.encode()
    table = read_upload(data)
    assert table.rows == [{"email": "a@x.fr", "notes": "two  words"}]


@pytest.mark.parametrize(
    "cell", ['=HYPERLINK("http://evil","x")', "+33 6 39 98 12 01", "-foo", "@SUM(A1)", "=1+1"]
)
def test_formula_cells_are_kept_verbatim(cell):
    quoted = '"' + cell.replace('"', '""') + '"'
    table = read_upload(f"Email,Notes\na@x.fr,{quoted}\n".encode())
    assert table.rows[0]["notes"] == cell


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("'=1+1", "=1+1"),
        ("''=1+1", "'=1+1"),
        ("'+33 6 39 98 12 01", "+33 6 39 98 12 01"),
        ("'-foo", "-foo"),
        ("'@SUM(A1)", "@SUM(A1)"),
        ("'\tx", "\tx"),
        ("'\rx", "\rx"),
        (" '=1+1 ", "=1+1"),
        ("'tis", "'tis"),
        ("O'Neil", "O'Neil"),
        ("'", "'"),
        ("' =1", "' =1"),
    ],
)
def test_the_quote_an_export_puts_before_a_formula_is_removed(cell, value):
    quoted = '"' + cell.replace('"', '""') + '"'
    data = f"Email,Colour,Notes,Company\n{quoted},x,{quoted},{quoted}\n".encode()
    table = read_upload(data, {"Company": "company"})
    # An attribute's cell is read the same way.
    again = read_upload(f"Email,Colour\na@x.fr,{quoted}\n".encode(), {"Colour": "attribute"})
    assert table.rows == [
        {"email": value, "notes": value, "company": value, "attributes": {"Colour": "x"}}
    ]
    assert again.rows == [{"email": "a@x.fr", "attributes": {"Colour": value}}]


def test_duplicate_and_empty_headers_get_distinct_names():
    table = read_upload(b"Email,,Email,Phone\na@x.fr,1,b@x.fr,0601\n")
    assert table.headers == ["Email", "Column 2", "Email (2)", "Phone"]
    assert table.mapping == {
        "Email": "email",
        "Column 2": "attribute",
        "Email (2)": "attribute",
        "Phone": "phone",
    }
    assert table.rows == [
        {"email": "a@x.fr", "phone": "0601", "attributes": {"Column 2": "1", "Email (2)": "b@x.fr"}}
    ]
    explicit = read_upload(b"Email,,Email\na@x.fr,1,b@x.fr\n", {"Email (2)": "email"})
    assert explicit.mapping == {"Email": "attribute", "Column 2": "attribute", "Email (2)": "email"}
    assert explicit.rows == [
        {"email": "b@x.fr", "attributes": {"Email": "a@x.fr", "Column 2": "1"}}
    ]


def test_a_repeated_header_fills_the_field_where_the_first_column_is_blank():
    """A second "Email" column means email as much as an "E-mail" column does: both are kept
    as attributes and fill the email of a row whose first email cell is blank."""
    synonym = read_upload(b"Email,E-mail\na@x.fr,\n,b@x.fr\n")
    repeated = read_upload(b"Email,Email\na@x.fr,\n,b@x.fr\n")
    assert [r["email"] for r in synonym.rows] == ["a@x.fr", "b@x.fr"]
    assert [r["email"] for r in repeated.rows] == ["a@x.fr", "b@x.fr"]


def test_header_only_file_has_no_rows():
    table = read_upload(b"\xef\xbb\xbfFirst Name;Email\r\n")
    assert table.rows == []
    assert table.row_numbers == []
    assert table.headers == ["First Name", "Email"]


# --------------------------------------------------------------------------- encodings


def test_utf8_with_and_without_bom():
    assert read_upload("Prénom,Email\nZoé,z@x.fr\n".encode()).encoding == "utf-8"
    with_bom = read_upload(b"\xef\xbb\xbf" + "Prénom,Email\nZoé,z@x.fr\n".encode())
    assert with_bom.encoding == "utf-8-sig"
    assert with_bom.headers == ["Prénom", "Email"]
    assert with_bom.rows == [{"firstName": "Zoé", "email": "z@x.fr"}]


def test_plain_latin1_is_decoded():
    data = "Prénom;Nom;Email\nHélène;Lefèvre;h@x.fr\nFrançois;Müller;f@y.fr\n".encode("latin-1")
    table = read_upload(data)
    assert table.encoding in {"cp1252", "latin-1", "iso8859-15"}
    assert table.rows[0] == {"firstName": "Hélène", "lastName": "Lefèvre", "email": "h@x.fr"}
    assert table.rows[1]["lastName"] == "Müller"


def test_cp1252_only_characters_force_cp1252():
    data = "Email;Notes\na@x.fr;Budget 500 € – « ok »\n".encode("cp1252")
    table = read_upload(data)
    assert table.encoding == "cp1252"
    assert table.rows[0]["notes"] == "Budget 500 € – « ok »"


def test_bom_in_front_of_cp1252_text_is_dropped():
    data = b"\xef\xbb\xbf" + "Email;Société\na@x.fr;Crème\n".encode("cp1252")
    table = read_upload(data)
    assert table.encoding == "cp1252"
    assert table.headers == ["Email", "Société"]
    assert table.rows == [{"email": "a@x.fr", "company": "Crème"}]


# --------------------------------------------------------------------------- bad files


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
        b"Email,Notes\na@x.fr,hi\x00there\n",
        "Email,Notes\n".encode("utf-16-le"),  # UTF-16 without its byte order mark
        bytes(range(1, 32)) * 50 + b"Email\n",
    ],
    ids=["png", "pdf", "nul", "utf16-no-bom", "controls"],
)
def test_binary_files_are_rejected(data):
    with pytest.raises(BadFile, match="is not a CSV text file"):
        read_upload(data)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b"PK\x03\x04\x14\x00\x06\x00[Content_Types].xml",
            r"The file is not a readable \.xlsx workbook \(CalamineError: .+\)\. "
            r"Save it again from Excel as \.xlsx, or as CSV UTF-8\.",
        ),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00",
            r"This is an old Excel \.xls workbook: save it as \.xlsx or as CSV UTF-8 and "
            r"upload that file\.",
        ),
    ],
    ids=["xlsx", "xls"],
)
def test_office_files_are_read_as_workbooks(data, message):
    """A ZIP or an OLE container is read as a workbook, whatever its name: a broken one is
    a bad file (the middle of the first message is calamine's own words)."""
    with pytest.raises(BadFile) as caught:
        read_upload(data)
    assert re.fullmatch(message, caught.value.message)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_utf16_with_a_byte_order_mark_is_excel_unicode_text(encoding):
    bom = "\ufeff" if encoding == "utf-16-be" else ""
    text = bom + "Prénom\tEmail\tVille\r\nZoé\tz@x.fr\tLyon\r\n"
    table = read_upload(text.encode(encoding))
    assert (table.kind, table.encoding, table.delimiter) == ("csv", "utf-16", "\t")
    assert table.headers == ["Prénom", "Email", "Ville"]
    assert table.rows == [{"firstName": "Zoé", "email": "z@x.fr", "attributes": {"Ville": "Lyon"}}]
    header_only = read_upload("Email,Notes\n".encode("utf-16"))
    assert (header_only.headers, header_only.rows) == (["Email", "Notes"], [])


@pytest.mark.parametrize("data", [b"", b"   \r\n\r\n"])
def test_empty_file(data):
    with pytest.raises(BadFile) as caught:
        read_upload(data)
    assert caught.value.message == (
        "The uploaded file is empty: a CSV file needs a header line and data rows."
    )


@pytest.mark.parametrize("data", [b";;;\r\n;;\r\n", b"\xef\xbb\xbf"])
def test_file_with_only_blank_records_has_no_header(data):
    with pytest.raises(ValidationFailed) as caught:
        read_upload(data)
    assert caught.value.message == (
        "The file has no header line: the first non-blank line must name the columns."
    )
    assert caught.value.details == [{"field": "file", "message": "no header line"}]


def test_unparseable_file_is_bad_file():
    huge = b'Email,Notes\na@x.fr,"' + b"x" * 200_000 + b'"\n'
    with pytest.raises(BadFile, match="could not be read"):
        read_upload(huge)
