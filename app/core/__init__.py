"""Plumbing every part may use and that knows no domain: Persian text, identifiers, validators, pages, errors,
HTMX fragments, security headers, static assets, locale, health."""
