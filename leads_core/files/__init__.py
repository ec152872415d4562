"""CSV files in and out: reading an uploaded file (encoding, delimiter, header matching)
and writing exports a spreadsheet opens safely."""
