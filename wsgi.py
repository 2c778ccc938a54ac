"""WSGI entry point: `waitress-serve wsgi:app`, and `flask --app wsgi …` for commands."""

from app import create_app

app = create_app()
