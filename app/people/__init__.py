"""People: sign-in and sessions, one-time codes, staff accounts, citizens."""
