"""The catalogue of service cards: queries every mode reads, search, import and export."""
