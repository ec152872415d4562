"""read_upload on files saved by spreadsheet programs: Excel's CSV flavours (UTF-8 with a
byte order mark, Windows-1252, a French Excel's semicolons, "Unicode Text", a title row
above the header), Apple Numbers, Google Sheets, and ``.xlsx`` workbooks (made here with
openpyxl).

Helpers and conventions are those of ``test_formats.py``."""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook

from leads_core.files.reading import FileTable, read_upload
from tests.files.test_formats import (
    FORMATS,
    attrs,
    check,
    column,
    leads,
    mapped,
    read,
    spec,
)

# --------------------------------------------------------------------------- Excel CSV


def test_excel_csv_utf8_with_bom_and_crlf():
    data = (FORMATS / "excel_csv_utf8.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbfFirst Name,") and b",,\r\n" in data
    table = read("excel_csv_utf8.csv")
    assert (table.kind, table.encoding, table.delimiter) == ("csv", "utf-8-sig", ",")
    assert table.header_row == 1
    # Row 2 holds a two-line note; row 5 is ",,,,,,,,,,," (skipped, its number used up).
    assert table.row_numbers == [2, 3, 4, 6]
    named = table.headers[:10]
    assert named == [
        "First Name",
        "Last Name",
        "Email",
        "Company",
        "Job Title",
        "Phone",
        "LinkedIn",
        "Website",
        "Notes",
        "Deal size (€)",
    ]
    # The two trailing columns without a header hold nothing: no field, no attribute.
    assert all(table.mapping[h] in (None, "attribute") for h in table.headers[10:])
    assert {h: f for h, f in mapped(table).items() if h in named} == spec(
        "First Name=firstName | Last Name=lastName | Email=email | Company=company"
        " | Job Title=position | Phone=phone | LinkedIn=linkedinUrl | Website=website"
        " | Notes=notes"
    )
    fields = "firstName lastName email company position phone linkedinUrl website notes"
    assert leads(table, fields) == [
        "Zoë|Faure|zoe.faure@nexora.io|Nexora, Inc.|Head of Growth|+33 6 39 98 30 01|https://www.linkedin.com/in/zoe-faure-3b2a91|https://www.nexora.io|Called 12/03.\nWants a demo in Q2",
        "José|García||Brightpath|VP Sales, EMEA|639983002|https://www.linkedin.com/in/jos%C3%A9-garc%C3%ADa-4a1b2c||",
        'Hans|Müller|hans.mueller@brueckner-maschinen.de|Brückner Maschinenbau GmbH|Geschäftsführer|+44 20 7946 0327||brueckner-maschinen.de|He said "call me in May"',
        "François|Lefèvre|francois.lefevre@crevette-studio.fr|Crevette Studio|Directeur artistique||||",
    ]
    assert [attrs(row) for row in table.rows] == [
        {"Deal size (€)": "12 500"},
        {},
        {"Deal size (€)": "8 000"},
        {},
    ]


def test_excel_csv_comma_delimited_windows_1252():
    data = (FORMATS / "excel_csv_cp1252.csv").read_bytes()
    assert b"H\xe9l\xe8ne" in data and b"O\x92Brien" in data and b'"\x8012,500"' in data
    table = read("excel_csv_cp1252.csv")
    assert (table.encoding, table.delimiter, table.header_row) == ("cp1252", ",", 1)
    assert table.row_numbers == [2, 3, 4, 5]
    assert mapped(table) == spec(
        "First Name=firstName | Last Name=lastName | Email=email | Company=company"
        " | Title=position | Phone=phone | LinkedIn Profile=linkedinUrl | Website=website"
        " | Notes=notes"
    )
    fields = "firstName lastName email company position phone linkedinUrl website notes"
    assert leads(table, fields) == [
        "Hélène|O’Brien|helene.obrien@creme-coeur.fr|Crème & Cœur|Directrice générale|+33 1 99 00 31 01|https://www.linkedin.com/in/helene-obrien|https://www.creme-coeur.fr|Intéressée par l’offre Pro – rappeler lundi",
        "Zoë|Faure|zoe.faure@nexora.io|Nexora, Inc.|Head of Growth|+33 6 39 98 31 02||www.nexora.io|",
        "Jürgen|Weiß||Brückner Maschinenbau GmbH|Geschäftsführer||https://www.linkedin.com/in/juergen-weiss-4711||«Très bon contact»",
        "Noël|Dupré|noel.dupre@atelier-dupre.fr|Atelier Dupré|Gérant|06 39 98 31 04|||",
    ]
    assert column(table, "Budget") == "€12,500|€8 000||"


def test_french_excel_semicolons_and_decimal_commas():
    data = (FORMATS / "excel_semicolon_fr.csv").read_bytes()
    assert data.startswith(b"Pr\xe9nom;Nom;") and b"(M\x80)" in data
    table = read("excel_semicolon_fr.csv")
    assert (table.encoding, table.delimiter, table.header_row) == ("cp1252", ";", 1)
    assert table.row_numbers == [2, 3, 4, 5]
    assert mapped(table) == spec(
        "Prénom=firstName | Nom=lastName | Adresse e-mail=email | Société=company"
        " | Poste=position | Téléphone=phone | Site web=website | Commentaire=notes"
    )
    fields = "firstName lastName email company position phone website notes"
    assert leads(table, fields) == [
        "Zoë|Faure|zoe.faure@nexora.io|Nexora, Inc.|Head of Growth|+33 6 39 98 32 01|https://www.nexora.io|Démo prévue en avril",
        "Émilie|Durand|emilie.durand@boulangerie-durand.fr|Boulangerie Durand|Gérante|01 99 00 32 02||Rappeler après 14h; préfère le téléphone",
        "François|Lefèvre||Crevette Studio|Directeur artistique|06 39 98 32 03|crevette-studio.fr|",
        "Jérôme|Chevalier|j.chevalier@chevalier-menuiserie.fr|Chevalier Menuiserie||||",
    ]
    assert column(table, "Chiffre d'affaires (M€)") == "12,5|0,8|1,25|"
    assert column(table, "Effectif") == "85|6|12|"


def test_excel_unicode_text_utf16_tab_separated():
    data = (FORMATS / "excel_unicode_text.txt").read_bytes()
    assert data.startswith(b"\xff\xfeF\x00i\x00") and "\t".encode("utf-16-le") in data
    table = read("excel_unicode_text.txt")
    assert (table.encoding, table.delimiter, table.header_row) == ("utf-16", "\t", 1)
    assert table.row_numbers == [2, 3, 4, 5]
    assert mapped(table) == spec(
        "First Name=firstName | Last Name=lastName | Email=email | Company=company"
        " | Job Title=position | Mobile=phone | LinkedIn URL=linkedinUrl | Website=website"
    )
    fields = "firstName lastName email company position phone linkedinUrl website"
    assert leads(table, fields) == [
        "Łukasz|Wróbel|lukasz@wrobel-syn.pl|Wróbel & Syn Sp. z o.o.|Właściciel|+44 7700 900789|https://www.linkedin.com/in/lukasz-wrobel|",
        "Zoë|Faure|zoe.faure@nexora.io|Nexora, Inc.|Head of Growth|+33 6 39 98 33 01||https://www.nexora.io",
        "Yuki|Tanaka||株式会社サクラ|マーケティング部長||https://www.linkedin.com/in/yuki-tanaka-sakura|",
        "Hans|Müller|hans.mueller@brueckner-maschinen.de|Brückner Maschinenbau GmbH|Geschäftsführer|||",
    ]
    assert column(table, "City") == "Kraków|Paris|東京|"


def test_title_row_and_blank_lines_before_the_header():
    table = read("title_row.csv")
    assert (table.encoding, table.delimiter) == ("utf-8-sig", ",")
    # Row 1 "Leads export – March 2026", rows 2-3 blank; row 7 is blank too (skipped).
    assert table.header_row == 4
    assert table.row_numbers == [5, 6, 8, 9]
    assert "|".join(table.headers) == "First Name|Last Name|Email|Company|Job Title|LinkedIn|Owner"
    assert mapped(table) == spec(
        "First Name=firstName | Last Name=lastName | Email=email | Company=company"
        " | Job Title=position | LinkedIn=linkedinUrl"
    )
    assert leads(table, "firstName lastName email company position linkedinUrl") == [
        "Zoë|Faure|zoe.faure@nexora.io|Nexora, Inc.|Head of Growth|https://www.linkedin.com/in/zoe-faure-3b2a91",
        "José|García||Brightpath|VP Sales, EMEA|https://www.linkedin.com/in/jos%C3%A9-garc%C3%ADa-4a1b2c",
        "Hans|Müller|hans.mueller@brueckner-maschinen.de|Brückner Maschinenbau GmbH|Geschäftsführer|",
        "Chloé|Moreau|chloe@moreau-conseil.fr|Moreau Conseil|Consultante indépendante|",
    ]
    assert column(table, "Owner") == "Léa|Léa|Tom|"


# --------------------------------------------------------------------------- Numbers, Sheets


def test_apple_numbers_csv_export():
    table = read("numbers_export.csv")
    assert (table.encoding, table.delimiter, table.header_row) == ("utf-8", ",", 1)
    assert table.row_numbers == [2, 3, 4, 5]
    # "Role" is the position (no "Job Title" column).
    assert mapped(table) == spec(
        "First Name=firstName | Last Name=lastName | Email=email | Company=company"
        " | Role=position | Phone=phone | LinkedIn=linkedinUrl | Website=website"
    )
    fields = "firstName lastName email company position phone linkedinUrl website"
    assert leads(table, fields) == [
        "Zoë|Faure|zoe.faure@nexora.io|Nexora, Inc.|Head of Growth|+33 6 39 98 34 01|https://www.linkedin.com/in/zoe-faure-3b2a91|https://www.nexora.io",
        "Mary-Jane|O'Connor|mj.oconnor@lumen-analytics.com|Lumen Analytics|COO|(646) 555-0173||lumen-analytics.com",
        "Anaïs|Nguyễn||Studio Lotus|Founder||https://www.linkedin.com/in/anais-nguyen-lotus|",
        "Søren|Dahl|soren.dahl@nordlys.dk|Nordlys ApS|Head of Sales|+44 20 7946 0328||nordlys.dk",
    ]
    assert column(table, "Met on") == "Mar 12, 2024|Feb 3, 2024||Jan 15, 2024"
    assert column(table, "Deal value") == "$12,500.00|$900.00||"
    assert column(table, "Contacted") == "TRUE|FALSE|FALSE|TRUE"


def test_google_sheets_download_as_csv():
    data = (FORMATS / "google_sheets.csv").read_bytes()
    assert b"\r\n" in data and not data.endswith(b"\n")  # CRLF, no line end after the last row
    table = read("google_sheets.csv")
    assert (table.encoding, table.delimiter, table.header_row) == ("utf-8", ",", 1)
    assert table.row_numbers == [2, 3, 4, 5]
    assert mapped(table) == spec(
        "First name=firstName | Last name=lastName | Email address=email | Company=company"
        " | Job title=position | Phone number=phone | LinkedIn profile=linkedinUrl"
        " | Website=website | Source=source | Status=status | Notes=notes"
    )
    fields = (
        "firstName lastName email company position phone linkedinUrl website source status notes"
    )
    assert leads(table, fields) == [
        'Zoë|Faure|zoe.faure@nexora.io|Nexora, Inc.|Head of Growth|+33 6 39 98 35 01|https://www.linkedin.com/in/zoe-faure-3b2a91|https://www.nexora.io|linkedin|contacted|Replied: "send me the deck"',
        "José|García||Brightpath|VP Sales, EMEA||https://www.linkedin.com/in/jos%C3%A9-garc%C3%ADa-4a1b2c|brightpath.com|referral|new|",
        "Hans|Müller|hans.mueller@brueckner-maschinen.de|Brückner Maschinenbau GmbH|Geschäftsführer|+44 20 7946 0329|||event|new|Met at Hannover Messe, hall 7",
        "Chloé|Moreau|chloe@moreau-conseil.fr|Moreau Conseil|Consultante indépendante|06 39 98 35 04|||website|qualified|",
    ]
    assert column(table, "Lead score") == "87|64||"


# --------------------------------------------------------------------------- .xlsx


def workbook(*sheets: tuple[str, list[list[Any]]]) -> bytes:
    """An .xlsx file with these sheets, in this order (``[]`` is an empty row)."""
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read_xlsx(data: bytes, **kwargs: Any) -> FileTable:
    return check(read_upload(data, **kwargs))


HEADER = ["First Name", "Last Name", "Email", "Company", "Job Title", "LinkedIn", "Phone"]


def test_xlsx_leads_on_the_first_sheet():
    data = workbook(
        (
            "Sheet1",
            [
                [*HEADER, "Website", "Notes", "Segment"],
                ["Zoë", "Faure", "zoe.faure@nexora.io", "Nexora, Inc.", "Head of Growth",
                 "https://www.linkedin.com/in/zoe-faure-3b2a91", "+33 6 39 98 37 01",
                 "https://www.nexora.io", "Wants a demo", "Enterprise"],
                ["José", "García", None, "Brightpath", "VP Sales, EMEA",
                 "https://www.linkedin.com/in/jos%C3%A9-garc%C3%ADa-4a1b2c"],
                [],
                ["  Hans ", "Müller", "hans.mueller@brueckner-maschinen.de",
                 "Brückner Maschinenbau GmbH", "Geschäftsführer", None, "+44 20 7946 0331",
                 "brueckner-maschinen.de", "Line 1\nLine 2", "SMB"],
            ],
        )
    )  # fmt: skip
    table = read_xlsx(data)
    assert (table.kind, table.sheet, list(table.sheets)) == ("xlsx", "Sheet1", ["Sheet1"])
    assert table.header_row == 1
    assert table.row_numbers == [2, 3, 5]  # row 4 is empty
    assert mapped(table) == spec(
        "First Name=firstName | Last Name=lastName | Email=email | Company=company"
        " | Job Title=position | LinkedIn=linkedinUrl | Phone=phone | Website=website"
        " | Notes=notes"
    )
    fields = "firstName lastName email company position linkedinUrl phone website notes"
    assert leads(table, fields) == [
        "Zoë|Faure|zoe.faure@nexora.io|Nexora, Inc.|Head of Growth|https://www.linkedin.com/in/zoe-faure-3b2a91|+33 6 39 98 37 01|https://www.nexora.io|Wants a demo",
        "José|García||Brightpath|VP Sales, EMEA|https://www.linkedin.com/in/jos%C3%A9-garc%C3%ADa-4a1b2c|||",
        "Hans|Müller|hans.mueller@brueckner-maschinen.de|Brückner Maschinenbau GmbH|Geschäftsführer||+44 20 7946 0331|brueckner-maschinen.de|Line 1\nLine 2",
    ]
    assert column(table, "Segment") == "Enterprise||SMB"


def test_xlsx_leads_on_a_named_second_sheet():
    data = workbook(
        ("Summary", [["Q1 outbound campaign"], ["Total leads", 2], ["Owner", "Léa Martin"]]),
        (
            "Leads",
            [
                [*HEADER, "Stage"],
                ["Chloé", "Moreau", "chloe@moreau-conseil.fr", "Moreau Conseil",
                 "Consultante indépendante", None, "06 39 98 38 01", "Qualified"],
                ["Priya", "Shah", None, "Harbourline", "Founder & CEO",
                 "https://www.linkedin.com/in/priyashah", None, "New"],
            ],
        ),
    )  # fmt: skip
    table = read_xlsx(data, sheet="Leads")
    assert (table.kind, table.sheet) == ("xlsx", "Leads")
    assert list(table.sheets) == ["Summary", "Leads"]
    assert table.header_row == 1
    assert table.row_numbers == [2, 3]
    assert table.headers == [*HEADER, "Stage"]
    fields = "firstName lastName email company position linkedinUrl phone"
    assert leads(table, fields) == [
        "Chloé|Moreau|chloe@moreau-conseil.fr|Moreau Conseil|Consultante indépendante||06 39 98 38 01",
        "Priya|Shah||Harbourline|Founder & CEO|https://www.linkedin.com/in/priyashah|",
    ]
    assert column(table, "Stage") == "Qualified|New"


def test_xlsx_numbers_and_dates_as_cell_text():
    header = ["First Name", "Last Name", "Email", "Phone", "Met on", "Employees", "Revenue (M€)"]
    data = workbook(
        (
            "Contacts",
            [
                header,
                ["Zoë", "Faure", "zoe.faure@nexora.io", 33639983901, date(2024, 3, 12), 85, 12.5],
                ["Hans", "Müller", "hans.mueller@brueckner-maschinen.de", 442079460332,
                 datetime(2023, 11, 28), 640.0, None],
            ],
        )
    )  # fmt: skip
    table = read_xlsx(data)
    assert (table.kind, table.sheet, table.header_row) == ("xlsx", "Contacts", 1)
    assert table.row_numbers == [2, 3]
    assert mapped(table) == spec(
        "First Name=firstName | Last Name=lastName | Email=email | Phone=phone"
    )
    # A phone typed as a number reads as its digits (no ".0", no exponent).
    assert leads(table, "firstName lastName email phone") == [
        "Zoë|Faure|zoe.faure@nexora.io|33639983901",
        "Hans|Müller|hans.mueller@brueckner-maschinen.de|442079460332",
    ]
    assert [attrs(row) for row in table.rows] == [
        {"Met on": "2024-03-12", "Employees": "85", "Revenue (M€)": "12.5"},
        {"Met on": "2023-11-28", "Employees": "640"},
    ]
