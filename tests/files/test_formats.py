"""read_upload on the files salespeople really have: where each column of each tool's
export lands (lead field, split full name, or attribute).

One fixture per format in ``fixtures/formats/``, byte for byte as the tool writes it
(encoding, byte order mark, delimiter, line ends, quoting, preamble). Files saved by a
spreadsheet program (Excel, Numbers, Google Sheets) and ``.xlsx`` workbooks are tested in
``test_formats_excel.py``. People, companies, domains and numbers are invented; phone
numbers are in ranges kept for fiction.

Expected rows are written one string per row, the values of the named fields joined by
``|`` (see :func:`leads`), so that each test reads as a table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from leads_core.files.reading import FileTable, read_upload

FORMATS = Path(__file__).resolve().parent / "fixtures" / "formats"


# --------------------------------------------------------------------------- helpers


def read(name: str, **kwargs: Any) -> FileTable:
    return check(read_upload((FORMATS / name).read_bytes(), **kwargs))


def check(table: FileTable) -> FileTable:
    """What every table must satisfy, whatever the file."""
    assert len(table.row_numbers) == len(table.rows)
    assert table.row_numbers == sorted(set(table.row_numbers))
    assert list(table.mapping) == table.headers
    assert set(table.matched_by) == set(table.headers)
    expected_keys: set[str] = set()
    for field in filter(None, mapped(table).values()):
        expected_keys |= {"firstName", "lastName"} if field == "fullName" else {field}
    for row in table.rows:
        assert set(row) - {"attributes"} == expected_keys
        for header, value in attrs(row).items():
            assert table.mapping[header] == "attribute", header
            assert value and value == value.strip(), (header, value)
    return table


def attrs(row: dict[str, Any]) -> dict[str, str]:
    return row.get("attributes") or {}


def mapped(table: FileTable) -> dict[str, str | None]:
    """The columns not kept as attributes: header -> lead field (or fullName / None)."""
    return {header: field for header, field in table.mapping.items() if field != "attribute"}


def spec(text: str) -> dict[str, str]:
    """``"First Name=firstName | URL=linkedinUrl"`` -> ``{"First Name": "firstName", ...}``."""
    return dict(pair.split("=") for pair in text.split(" | "))


def leads(table: FileTable, fields: str) -> list[str]:
    """Each row's values of ``fields`` (space-separated API names), joined by ``|``."""
    return ["|".join(row[field] for field in fields.split()) for row in table.rows]


def column(table: FileTable, header: str) -> str:
    """The attribute values of one column, ``""`` where a row has none, joined by ``|``."""
    return "|".join(attrs(row).get(header, "") for row in table.rows)


def assert_phones(row: dict[str, Any], *numbers: str) -> None:
    """Several phone columns: ``phone`` holds one of the row's numbers, and every number
    of the row is kept (in ``phone`` or as an attribute). No number: ``phone`` is ``""``."""
    if not numbers:
        assert row["phone"] == ""
        return
    assert row["phone"] in numbers
    assert set(numbers) <= {row["phone"], *attrs(row).values()}


# --------------------------------------------------------------------------- LinkedIn


def test_linkedin_connections_csv():
    table = read("linkedin_connections.csv")
    assert (table.kind, table.encoding, table.delimiter) == ("csv", "utf-8", ",")
    # "Notes:", the quoted paragraph about e-mail addresses and a blank line come first.
    assert table.header_row == 4
    assert table.row_numbers == [5, 6, 7, 8, 9]
    headers = "First Name|Last Name|URL|Email Address|Company|Position|Connected On"
    assert "|".join(table.headers) == headers
    assert mapped(table) == spec(
        "First Name=firstName | Last Name=lastName | URL=linkedinUrl | Email Address=email"
        " | Company=company | Position=position"
    )
    assert table.matched_by["URL"] == "values"
    assert table.matched_by["Email Address"] == "header"
    assert leads(table, "firstName lastName email company position linkedinUrl") == [
        "Zoë|Faure||Nexora, Inc.|Head of Growth|https://www.linkedin.com/in/zoe-faure-3b2a91",
        "José|García||Brightpath|VP Sales, EMEA|https://www.linkedin.com/in/jos%C3%A9-garc%C3%ADa-4a1b2c",
        "Hans|Müller|hans.mueller@brueckner-maschinen.de|Brückner Maschinenbau GmbH|Geschäftsführer|https://www.linkedin.com/in/hansmueller",
        "François|Lefèvre||||https://www.linkedin.com/in/francois-lefevre-71",
        "Priya|Shah||Harbourline|Founder & CEO|https://www.linkedin.com/in/priyashah",
    ]
    assert (
        column(table, "Connected On")
        == "12 Mar 2024|03 Feb 2024|28 Nov 2023|15 Jan 2024|01 Mar 2024"
    )
    assert all(attrs(row).keys() == {"Connected On"} for row in table.rows)


def test_sales_navigator_lead_list():
    table = read("sales_navigator_leads.csv")
    assert (table.encoding, table.delimiter, table.header_row) == ("utf-8", ",", 1)
    assert table.row_numbers == [2, 3, 4, 5, 6]
    # "Sales Navigator URL" (linkedin.com/sales/lead/...) is not a profile link.
    assert mapped(table) == spec(
        "First Name=firstName | Last Name=lastName | Job Title=position | Account Name=company"
        " | Profile URL=linkedinUrl | Email=email | Company Website=website"
    )
    assert leads(table, "firstName lastName email company position linkedinUrl website") == [
        "Zoë|Faure|zoe.faure@nexora.io|Nexora, Inc.|Head of Growth|https://www.linkedin.com/in/zoe-faure-3b2a91|https://www.nexora.io",
        "Anne-Sophie|Lefèvre||Crème & Cœur|Directrice commerciale|https://www.linkedin.com/in/annesophie-lefevre|",
        "Jürgen|Weiß|j.weiss@brueckner-maschinen.de|Brückner Maschinenbau GmbH|VP Engineering, DACH|https://www.linkedin.com/in/juergen-weiss-4711|brueckner-maschinen.de",
        "Megan|O'Neil||Stackline|Chief Revenue Officer|https://www.linkedin.com/in/ACwAAB4kT1oBxY9qZ|https://stackline.io",
        "Kenji|Watanabe|kenji@harbourline.co.uk|Harbourline|Founder|https://www.linkedin.com/in/kenji-watanabe-hl|www.harbourline.co.uk",
    ]
    assert (
        column(table, "Location")
        == "Paris, Île-de-France, France|Lyon, Auvergne-Rhône-Alpes, France|Munich, Bavaria, Germany|San Francisco Bay Area|London, England, United Kingdom"
    )
    assert attrs(table.rows[0])["Sales Navigator URL"] == (
        "https://www.linkedin.com/sales/lead/ACwAAB2x9QkB7f,NAME_SEARCH,Xk2p"
    )
    assert column(table, "Connection Degree") == "2nd|3rd+|2nd|3rd+|1st"


# --------------------------------------------------------------------------- address books


def test_google_contacts_google_csv():
    table = read("google_contacts.csv")
    assert (table.encoding, table.delimiter, table.header_row) == ("utf-8", ",", 1)
    # Row 2's Notes and address cells span several lines: still one spreadsheet row.
    assert table.row_numbers == [2, 3, 4, 5]
    assert mapped(table) == spec(
        "First Name=firstName | Last Name=lastName | Organization Name=company"
        " | Organization Title=position | Notes=notes | E-mail 1 - Value=email"
        " | Phone 1 - Value=phone | Website 1 - Value=website"
    )
    assert leads(table, "firstName lastName email company position website notes") == [
        "Zoë|Faure|zoe.faure@nexora.io|Nexora, Inc.|Head of Growth|https://www.nexora.io|Met at VivaTech 2024\nWants a demo in Q2",
        "José|García|jose.garcia@brightpath.com|Brightpath|VP Sales, EMEA||",
        "Hans|Müller||Brückner Maschinenbau GmbH|Geschäftsführer|http://brueckner-maschinen.de|",
        "Emily||emily@lumen-analytics.com|Lumen Analytics|||",
    ]
    zoe, jose, hans, emily = table.rows
    assert_phones(zoe, "+33 6 39 98 21 01", "+33 1 99 00 21 02")
    assert_phones(jose, "+1 415-555-0132")
    assert_phones(hans, "+44 7700 900123")
    assert_phones(emily)
    assert (
        column(table, "Labels")
        == "Clients ::: * myContacts|* myContacts|Partners ::: * myContacts|* myContacts"
    )
    assert attrs(zoe)["E-mail 2 - Value"] == "zoe.faure@courriel-perso.fr"
    assert attrs(zoe)["Address 1 - Formatted"] == "12 rue des Lilas\n75011 Paris\nFrance"
    assert attrs(jose)["Photo"] == "https://lh3.googleusercontent.com/contacts/AOq9mN2xk7PzU4bVw"
    assert (attrs(hans)["Name Prefix"], attrs(hans)["Middle Name"]) == ("Dr.", "Peter")


def test_google_contacts_legacy_google_csv_utf16():
    table = read("google_contacts_legacy.csv")
    assert (table.encoding, table.delimiter, table.header_row) == ("utf-16", ",", 1)
    assert table.row_numbers == [2, 3, 4, 5]
    # "Name" is not split: Given Name and Family Name are there. "Occupation" (empty) must
    # not take the position from "Organization 1 - Title".
    assert mapped(table) == spec(
        "Given Name=firstName | Family Name=lastName | Notes=notes | E-mail 1 - Value=email"
        " | Phone 1 - Value=phone | Organization 1 - Name=company"
        " | Organization 1 - Title=position | Website 1 - Value=website"
    )
    assert leads(table, "firstName lastName email company position website notes") == [
        "Zoë|Faure|zoe.faure@nexora.io|Nexora, Inc.|Head of Growth|https://www.nexora.io|",
        "José|García|jose.garcia@brightpath.com|Brightpath|VP Sales, EMEA||Prefers WhatsApp",
        "Hans|Müller||Brückner Maschinenbau GmbH|Geschäftsführer|http://brueckner-maschinen.de|",
        "Łukasz|Wróbel|lukasz@wrobel-syn.pl|Wróbel & Syn Sp. z o.o.|Właściciel||",
    ]
    zoe, jose, hans, lukasz = table.rows
    assert_phones(zoe, "+33 6 39 98 22 01")
    assert_phones(jose, "+1 415-555-0133", "+1 415-555-0177")
    assert_phones(hans, "+44 20 7946 0321")
    assert_phones(lukasz)
    assert column(table, "Name") == "Zoë Faure|José García|Hans Müller|Łukasz Wróbel"
    assert (
        column(table, "Group Membership")
        == "* My Contacts ::: Clients|* My Contacts|* My Contacts ::: Partners|* My Contacts"
    )
    assert attrs(hans)["Birthday"] == "1971-05-02"


def test_outlook_contacts_csv():
    table = read("outlook_contacts.csv")
    # Windows-1252 (’ and – in a note), every cell quoted, CRLF.
    assert (table.encoding, table.delimiter, table.header_row) == ("cp1252", ",", 1)
    assert len(table.headers) == 92
    assert table.row_numbers == [2, 3, 4, 5, 6]
    # "Title" is Mr./Ms. beside "Job Title"; "Account" is not the company.
    assert mapped(table) == spec(
        "First Name=firstName | Last Name=lastName | Company=company | Job Title=position"
        " | Business Phone=phone | E-mail Address=email | Notes=notes | Web Page=website"
    )
    assert leads(table, "firstName lastName email company position website notes") == [
        "Zoë|Faure|zoe.faure@nexora.io|Nexora, Inc.|Head of Growth|http://www.nexora.io/|Met at VivaTech – wants the Pro plan’s pricing",
        "José|García|jose.garcia@brightpath.com|Brightpath|VP Sales, EMEA||",
        "Hans|Müller||Brückner Maschinenbau GmbH|Geschäftsführer|brueckner-maschinen.de|",
        "Emily|O'Connor|emily.oconnor@lumen-analytics.com|Lumen Analytics|||",
        "Chloé|Moreau|chloe@moreau-conseil.fr||Consultante indépendante||",
    ]
    zoe, jose, hans, emily, chloe = table.rows
    assert_phones(zoe, "+33 1 99 00 23 01", "+33 6 39 98 23 02")
    assert_phones(jose, "+1 (415) 555-0134", "+1 (415) 555-0188")
    assert_phones(hans, "+44 7700 900456")  # a mobile number only
    assert_phones(emily)
    assert_phones(chloe, "01 99 00 23 05", "06 39 98 23 06")
    assert column(table, "Title") == "Ms.|Mr.|Dr.||Ms."
    assert column(table, "Gender") == "Unspecified|Unspecified|Unspecified|Unspecified|Unspecified"
    assert attrs(jose)["Middle Name"] == "Luis"
    assert attrs(jose)["E-mail 2 Address"] == "jgarcia@correo-personal.es"
    assert attrs(zoe)["E-mail Display Name"] == "Zoë Faure (zoe.faure@nexora.io)"


# --------------------------------------------------------------------------- CRMs


def test_hubspot_contacts_export():
    table = read("hubspot_contacts.csv")
    assert (table.encoding, table.delimiter, table.header_row) == ("utf-8", ",", 1)
    assert table.row_numbers == [2, 3, 4, 5, 6]
    assert mapped(table) == spec(
        "First Name=firstName | Last Name=lastName | Email=email | Phone Number=phone"
        " | Company Name=company | Job Title=position | Website URL=website"
        " | Lead Status=status | Original Source=source"
    )
    assert leads(table, "firstName lastName email company position website status source") == [
        "Zoë|Faure|zoe.faure@nexora.io|Nexora, Inc.|Head of Growth|https://www.nexora.io|In Progress|Organic Search",
        "José|García|jose.garcia@brightpath.com|Brightpath|VP Sales, EMEA|brightpath.com|New|Offline Sources",
        "Hans|Müller|hans.mueller@brueckner-maschinen.de|Brückner Maschinenbau GmbH|Geschäftsführer||Attempted to contact|Referrals",
        "||info@lumen-analytics.com|Lumen Analytics||https://lumen-analytics.com|Unqualified|Direct Traffic",
        "Chloé|Moreau|chloe@moreau-conseil.fr|Moreau Conseil|Consultante indépendante||Connected|Social Media",
    ]
    zoe, jose, hans, info, chloe = table.rows
    assert_phones(zoe, "+33 1 99 00 24 01", "+33 6 39 98 24 02")
    assert_phones(jose, "+1 415-555-0135")
    assert_phones(hans, "+44 20 7946 0322")
    assert_phones(info)
    assert_phones(chloe, "06 39 98 24 05")
    assert column(table, "Record ID") == "51234501|51234502|51234503|51234504|51234505"
    assert column(table, "Contact owner") == "Léa Martin|Léa Martin||Tom Baker|Léa Martin"
    assert attrs(zoe)["Create Date"] == "2024-03-12 09:41"
    assert attrs(zoe)["Lifecycle Stage"] == "Sales Qualified Lead"


def test_salesforce_leads_report():
    table = read("salesforce_leads_report.csv")
    assert (table.encoding, table.delimiter, table.header_row) == ("utf-8", ",", 1)
    assert table.row_numbers == [2, 3, 4, 5]
    assert mapped(table) == spec(
        "First Name=firstName | Last Name=lastName | Title=position | Company / Account=company"
        " | Email=email | Phone=phone | Website=website | Lead Source=source | Lead Status=status"
    )
    assert leads(table, "firstName lastName email company position website source status") == [
        "Zoë|Faure|zoe.faure@nexora.io|Nexora, Inc.|Head of Growth|www.nexora.io|Web|Working - Contacted",
        "José|García|jose.garcia@brightpath.com|Brightpath|VP Sales, EMEA|brightpath.com|Partner Referral|Open - Not Contacted",
        "Hans|Müller||Brückner Maschinenbau GmbH|Geschäftsführer||Trade Show|Open - Not Contacted",
        "Emily|O'Connor|emily.oconnor@lumen-analytics.com|Lumen Analytics||https://lumen-analytics.com|Purchased List|Closed - Not Converted",
    ]
    zoe, jose, hans, emily = table.rows
    assert_phones(zoe, "+33 1 99 00 25 01", "+33 6 39 98 25 02")
    assert_phones(jose, "(415) 555-0136")
    assert_phones(hans, "+44 20 7946 0323")
    assert_phones(emily)
    assert column(table, "Rating") == "Hot|Warm||Cold"
    assert column(table, "Lead Owner") == "Léa Martin|Léa Martin|Tom Baker|Tom Baker"
    assert attrs(hans)["Create Date"] == "11/28/2023"


def test_pipedrive_people_export():
    table = read("pipedrive_people.csv")
    assert (table.encoding, table.delimiter, table.header_row) == ("utf-8", ",", 1)
    assert table.row_numbers == [2, 3, 4, 5, 6]
    # Only a full name: "Person - Name" is split into first and last name.
    assert mapped(table) == spec(
        "Person - Name=fullName | Person - Organization=company | Person - Email - Work=email"
        " | Person - Phone - Work=phone | Person - Job title=position"
    )
    assert table.matched_by["Person - Name"] == "header"
    assert leads(table, "firstName lastName email company position") == [
        "Zoë|Faure|zoe.faure@nexora.io|Nexora, Inc.|Head of Growth",
        "José|García|jose.garcia@brightpath.com|Brightpath|VP Sales, EMEA",
        "Hans|Müller||Brückner Maschinenbau GmbH|Geschäftsführer",
        "François|de la Tour|francois@delatour-conseil.fr||",
        "Kim||kim@lumen-analytics.com|Lumen Analytics|",
    ]
    zoe, jose, hans, francois, kim = table.rows
    assert_phones(zoe, "+33 1 99 00 26 01", "+33 6 39 98 26 02")
    assert_phones(jose, "+1 415-555-0137")
    assert_phones(hans, "+44 20 7946 0324")
    assert_phones(francois)
    assert_phones(kim)
    assert column(table, "Person - Label") == "Hot lead|Warm lead||Cold lead|"
    assert attrs(jose)["Person - Email - Home"] == "jgarcia@correo-personal.es"
    assert attrs(hans)["Person - Visible to"] == "Owner's visibility group"


# --------------------------------------------------------------------------- prospecting tools


def test_apollo_people_export():
    table = read("apollo_people.csv")
    assert (table.encoding, table.delimiter, table.header_row) == ("utf-8", ",", 1)
    assert table.row_numbers == [2, 3, 4, 5, 6]
    # "Company Linkedin Url" is the company page; "Contact Owner" holds e-mail addresses.
    assert mapped(table) == spec(
        "First Name=firstName | Last Name=lastName | Title=position | Company=company"
        " | Email=email | First Phone=phone | Person Linkedin Url=linkedinUrl | Website=website"
    )
    assert leads(table, "firstName lastName email company position linkedinUrl website") == [
        "Megan|Turner|megan.turner@stackline.io|Stackline, Inc.|VP Engineering|http://www.linkedin.com/in/megan-turner-eng|http://www.stackline.io",
        "Aurélien|Marchand|aurelien@celeste-ai.fr|Céleste AI|CTO|http://www.linkedin.com/in/aurelien-marchand|http://www.celeste-ai.fr",
        "Priya|Shah||Harbourline|Head of Sales|http://www.linkedin.com/in/priyashah-hl|http://www.harbourline.co.uk",
        "Jürgen|Weiß|j.weiss@brueckner-maschinen.de|Brückner Maschinenbau GmbH|Geschäftsführer||http://www.brueckner-maschinen.de",
        "Zoë|Faure|zoe.faure@nexora.io|Nexora, Inc.|Head of Growth|http://www.linkedin.com/in/zoe-faure-3b2a91|http://www.nexora.io",
    ]
    megan, aurelien, priya, jurgen, zoe = table.rows
    assert_phones(megan, "+1 415-555-0121", "+1 415-555-0184", "+1 415-555-0100")
    assert_phones(aurelien, "+33 6 39 98 27 01", "+33 1 99 00 27 00")
    assert_phones(priya)
    assert_phones(jurgen, "+44 20 7946 0325")
    assert_phones(zoe)
    assert column(table, "Email Status") == "Verified|Verified|Unavailable|Guessed|Extrapolated"
    assert column(table, "Company Linkedin Url") == (
        "http://www.linkedin.com/company/stackline|http://www.linkedin.com/company/celeste-ai|||"
    )
    assert attrs(megan)["Keywords"] == "saas, devops, observability"
    assert attrs(megan)["Contact Owner"] == "lea.martin@salesco.io"
    assert attrs(aurelien)["# Employees"] == "38"


def test_lemlist_leads_export():
    table = read("lemlist_leads.csv")
    assert (table.encoding, table.delimiter, table.header_row) == ("utf-8", ",", 1)
    assert table.row_numbers == [2, 3, 4, 5]
    assert mapped(table) == spec(
        "email=email | firstName=firstName | lastName=lastName | companyName=company"
        " | jobTitle=position | linkedinUrl=linkedinUrl | phone=phone | companyDomain=website"
    )
    fields = "firstName lastName email company position linkedinUrl phone website"
    assert leads(table, fields) == [
        "Zoë|Faure|zoe.faure@nexora.io|Nexora, Inc.|Head of Growth|https://www.linkedin.com/in/zoe-faure-3b2a91|+33 6 39 98 28 01|nexora.io",
        "José|García||Brightpath|VP Sales, EMEA|https://www.linkedin.com/in/jos%C3%A9-garc%C3%ADa-4a1b2c||brightpath.com",
        "Hans|Müller|hans.mueller@brueckner-maschinen.de|Brückner Maschinenbau GmbH|Geschäftsführer||+44 20 7946 0326|brueckner-maschinen.de",
        "Emily|O'Connor|emily@lumen-analytics.com|Lumen Analytics||https://uk.linkedin.com/in/emily-oconnor||lumen-analytics.com",
    ]
    assert attrs(table.rows[0])["icebreaker"] == (
        'Loved your talk at VivaTech on "growth loops" – especially the part about referrals.'
    )
    assert attrs(table.rows[0])["picture"] == "https://img.lemlist.com/avatars/zoe-faure.jpg"
    assert column(table, "location") == "Paris, France|Madrid|München, Bayern|"


def test_instantly_leads_export():
    table = read("instantly_leads.csv")
    assert (table.encoding, table.delimiter, table.header_row) == ("utf-8", ",", 1)
    assert table.row_numbers == [2, 3, 4, 5]
    # Custom variables ("jobTitle", "linkedIn", "city") are columns like the others.
    assert mapped(table) == spec(
        "Email=email | First Name=firstName | Last Name=lastName | Company Name=company"
        " | Phone=phone | Website=website | jobTitle=position | linkedIn=linkedinUrl"
    )
    fields = "firstName lastName email company position linkedinUrl phone website"
    assert leads(table, fields) == [
        "Zoë|Faure|zoe.faure@nexora.io|Nexora, Inc.|Head of Growth|https://www.linkedin.com/in/zoe-faure-3b2a91|+33 6 39 98 29 01|https://www.nexora.io",
        "José|García|jose.garcia@brightpath.com|Brightpath|VP Sales, EMEA||+1 415-555-0138|brightpath.com",
        "Hans|Müller|hans.mueller@brueckner-maschinen.de|Brückner Maschinenbau GmbH|Geschäftsführer|https://www.linkedin.com/in/hansmueller||",
        "Chloé|Moreau|chloe@moreau-conseil.fr|Moreau Conseil||||",
    ]
    assert (
        column(table, "Personalization")
        == "Congrats on the Series A, Zoë!||Saw your post about the new plant in Augsburg.|"
    )
    assert column(table, "city") == "Paris|San Francisco|München|"


# --------------------------------------------------------------------------- odd layouts


def test_single_full_name_column():
    table = read("full_name_column.csv")
    assert (table.encoding, table.delimiter, table.header_row) == ("utf-8", ",", 1)
    assert table.row_numbers == [2, 3, 4, 5, 6, 7]
    assert mapped(table) == spec(
        "Name=fullName | Email=email | Company=company | Position=position"
    )
    assert table.matched_by["Name"] == "header"
    # Split by nameparser: a title dropped, "de la" kept with the last name, "Last, First".
    assert leads(table, "firstName lastName email company position") == [
        "Zoë|Faure|zoe.faure@nexora.io|Nexora, Inc.|Head of Growth",
        "Hans|Müller|hans.mueller@brueckner-maschinen.de|Brückner Maschinenbau GmbH|Geschäftsführer",
        "François|de la Tour|francois@delatour-conseil.fr|De la Tour Conseil|Associé",
        "José|García|jose.garcia@brightpath.com|Brightpath|VP Sales, EMEA",
        "Kim||kim@lumen-analytics.com|Lumen Analytics|",
        "Mary-Jane|O'Connor||Lumen Analytics|COO",
    ]
    assert column(table, "Met at") == "VivaTech 2024||Salon des Entrepreneurs|||SaaStr Europa"


def test_unknown_headers_matched_by_their_values():
    table = read("unknown_headers.csv")
    assert (table.encoding, table.delimiter, table.header_row) == ("utf-8", ",", 1)
    assert table.row_numbers == [2, 3, 4, 5, 6]
    assert mapped(table) == spec("Reach=email | Profile=linkedinUrl | Online=website | Dial=phone")
    assert table.matched_by == {
        "Who": None,
        "Reach": "values",
        "Profile": "values",
        "Online": "values",
        "Dial": "values",
        "Tier": None,
    }
    assert leads(table, "email linkedinUrl website phone") == [
        "zoe.faure@nexora.io|https://www.linkedin.com/in/zoe-faure-3b2a91|https://www.nexora.io|+33 6 39 98 36 01",
        "|https://www.linkedin.com/in/jos%C3%A9-garc%C3%ADa-4a1b2c|brightpath.com|(415) 555-0139",
        "hans.mueller@brueckner-maschinen.de||http://brueckner-maschinen.de/|+44 20 7946 0330",
        "chloe@moreau-conseil.fr|www.linkedin.com/in/chloe-moreau-conseil||06 39 98 36 04",
        "emily@lumen-analytics.com|https://uk.linkedin.com/in/emily-oconnor|www.lumen-analytics.com|",
    ]
    assert column(table, "Who") == "Zoë Faure|José García|Hans Müller|Chloé Moreau|Emily O'Connor"
    assert column(table, "Tier") == "A|B||A|C"
