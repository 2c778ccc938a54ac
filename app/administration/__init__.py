"""Administration rules: agencies, counter offices, outsourcing decisions, the audit log."""
