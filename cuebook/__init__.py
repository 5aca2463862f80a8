"""Cuebook's composition root: settings, the app factory, the CLI and the WSGI entry."""

from cuebook.app import create_app

__all__ = ["create_app"]
