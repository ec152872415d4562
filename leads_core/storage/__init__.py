"""Where leads are kept: the engine and sessions, the table models, the SQL that differs
between SQLite and PostgreSQL, and the migrations that own the schema."""
