"""WSGI entry for gunicorn: ``gunicorn cuebook.wsgi:app``."""

from cuebook.app import create_app

app = create_app()
