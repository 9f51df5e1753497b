"""The query language that profile and segment share: user SQL expressions checked
against declared names, as-of dates and time windows, event filters, and who is alive."""
