"""The marketplace registry service (Flask): API, web pages, TUF repository, storage.

Not built yet: see the registry issue. The package exists so the layout of the design is
in place and `acc registry` has a home.
"""
