"""Facts the tests check against, written once: the contract's lead field order and what
the sample CSVs in tests/fixtures/ are known to contain (see tests/fixtures/README.md)."""

# The lead object of leads-api.md's list example, in the document's order.
LIST_LEAD_KEYS = [
    "id",
    "firstName",
    "lastName",
    "email",
    "company",
    "position",
    "qualityScore",
    "source",
    "linkedinUrl",
    "phone",
    "website",
    "status",
    "campaignId",
    "ownerId",
    "createdAt",
]

# sample_leads.csv: its headers, automatically matched to lead fields.
SAMPLE_LEADS_MAPPING = {
    "First Name": "firstName",
    "Last Name": "lastName",
    "E-mail Address": "email",
    "Company Name": "company",
    "Job Title": "position",
    "LinkedIn": "linkedinUrl",
    "Phone Number": "phone",
    "Website": "website",
    "Source": "source",
    "Notes": "notes",
    "Favourite colour": "attribute",
}
