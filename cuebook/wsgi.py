"""WSGI entry for gunicorn: ``gunicorn cuebook.wsgi:app``."""

from cuebook.app import create_app
from cuebook.monitoring import configure_process_logging
from cuebook.settings import Settings

settings = Settings.from_env()
configure_process_logging(settings)
app = create_app(settings)
