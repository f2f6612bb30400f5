"""Reports for admins (F-RP1): what each figure counts, the period and filters, the page's
aggregates and the CSV export."""
