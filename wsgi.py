"""WSGI entry point for production: `gunicorn wsgi:app`."""

from fieldapp import create_app

app = create_app()
