"""The WSGI entry point for gunicorn: configuration comes from REGISTRY_* variables."""

from registry.app import create_app

app = create_app()
