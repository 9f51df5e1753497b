"""Clean: raw tables into canonical records, events and data quality."""
