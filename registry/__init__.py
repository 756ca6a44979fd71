"""The marketplace registry service (Flask): JSON API, web pages, TUF repository, storage.

`registry.app.create_app` builds the application; `acc registry init` and `serve`
(registry.cli) create a data directory and run it under gunicorn.
"""
