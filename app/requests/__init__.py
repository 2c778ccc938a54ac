"""Requests: the one filing path, the one state machine, forms as data, attachments."""
