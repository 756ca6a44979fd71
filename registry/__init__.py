"""The marketplace registry service (Flask): JSON API, web pages, TUF repository, storage.

`registry.app.create_app` builds the application; `acc registry init` and `serve`
(acc_cli/registry/) create a data directory and run it under gunicorn.
"""
