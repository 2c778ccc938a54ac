"""Counter rules every channel calls: fees, the day ledger, receipts (the pages are in app.web.counter)."""
