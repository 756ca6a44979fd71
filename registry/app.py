"""`create_app`: the registry's Flask application (no module-level app)."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from registry.config import RegistryConfig, load_config
from registry.context import EXTENSION_KEY, Registry
from registry.errors import ApiError

#: Form fields (not files) a web form may send, in total: reviews and READMEs are small.
MAX_FORM_MEMORY_BYTES = 256 * 1024
MAX_FORM_PARTS = 50


def create_app(config: Mapping[str, Any] | RegistryConfig | None = None) -> Flask:
    settings = config if isinstance(config, RegistryConfig) else load_config(config)
    app = Flask(__name__)
    registry = Registry.open(settings)
    # Refuse to start with other online keys than the metadata names: signatures made with
    # them would make every client refuse the registry (and on several hosts, all of them).
    with registry.db.read() as session:
        registry.tuf.check_online_keys(session)
    app.extensions[EXTENSION_KEY] = registry
    app.config.update(
        SECRET_KEY=settings.secret_key or _session_key(settings),
        MAX_CONTENT_LENGTH=settings.max_upload_bytes,
        MAX_FORM_MEMORY_SIZE=MAX_FORM_MEMORY_BYTES,
        MAX_FORM_PARTS=MAX_FORM_PARTS,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        TESTING=settings.testing,
        JSON_SORT_KEYS=False,
    )

    from registry import api, tuf_views

    app.register_blueprint(api.bp)
    app.register_blueprint(tuf_views.bp)
    _register_web(app)
    _register_errors(app)
    _register_logging(app)
    if settings.trusted_proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # The client address (rate limits, download counts, audit) and scheme (secure
        # cookies) as the trusted proxies saw them; nothing a client sets is believed beyond them.
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n)  # type: ignore[method-assign]

    @app.after_request
    def _nosniff(response: Response) -> Response:
        # Every response, errors included: a browser must never guess that an uploaded
        # archive, a README or a JSON error is HTML or script.
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    return app


def _register_web(app: Flask) -> None:
    from registry.web import bp
    from registry.web.security import init_web_security

    app.register_blueprint(bp)
    init_web_security(app)


def _session_key(settings: RegistryConfig) -> str:
    """The session signing key kept beside the TUF keys, created on first use."""
    path = settings.keys_dir / "session.key"
    if not path.is_file():
        from sdk.atomic import atomic_write_bytes

        atomic_write_bytes(path, secrets.token_hex(32).encode(), mode=0o600)
    return path.read_text().strip()


def _drain_request_body(app: Flask) -> None:
    """Read what is left of a refused request's body (up to the upload cap) before answering.

    A refusal (bad token, bad form) can come before the body is read; if the server then
    answered and closed, a client still sending a large upload would see "broken pipe"
    instead of the registry's message. Bodies over the cap are not drained: those get 413
    before anything is read, and reading them would be what the cap exists to prevent.
    """
    length = request.content_length
    if length is None or length > (request.max_content_length or 0):
        return
    stream = request.stream
    exhaust = getattr(stream, "exhaust", None)
    if exhaust is not None:
        try:
            exhaust()
        except Exception:  # the client went away or sent less than it announced
            app.logger.info("could not drain the body of a refused request")


def _wants_json() -> bool:
    return request.path.startswith(("/api/", "/tuf/")) or request.accept_mimetypes.best == "application/json"


def _register_errors(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def api_error(e: ApiError) -> Any:
        _drain_request_body(app)
        if not _wants_json():
            from registry.web import error_page

            return error_page(e)
        response = jsonify(e.body())
        response.status_code = e.status
        response.headers.update(e.headers)
        return response

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException) -> Any:
        code = (e.name or "error").lower().replace(" ", "_")
        hint = None
        if e.code == 413:
            hint = "the upload is over the registry's size limit"
        error = ApiError(e.code or 500, code, e.description or e.name, hint=hint)
        return api_error(error)

    @app.errorhandler(Exception)
    def unexpected(e: Exception) -> Any:
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return api_error(
            ApiError(
                500,
                "internal_error",
                "the registry failed to handle this request",
                hint="try again; if it keeps failing, tell the registry operator",
            )
        )


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        import json

        entry = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        for key in ("method", "path", "status", "duration_ms", "remote_addr"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        return json.dumps(entry)


def _register_logging(app: Flask) -> None:
    """Structured (JSON lines) logs: one line per request plus whatever the app logs."""
    import time

    from flask import g

    if not app.testing:
        handler = logging.StreamHandler()
        handler.setFormatter(_JsonFormatter())
        # The development mailer (registry.mailer.LogMailer) prints each mail, links and all,
        # on `registry.mail`: with no SMTP server, the log is where a confirmation or reset
        # link is found.
        for logger in (app.logger, logging.getLogger("registry.mail")):
            logger.handlers[:] = [handler]
            logger.setLevel(logging.INFO)
            logger.propagate = False

    @app.before_request
    def _start_timer() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def _log_request(response: Response) -> Response:
        started = g.get("started")
        duration = round((time.perf_counter() - started) * 1000, 2) if started else None
        app.logger.info(
            "request",
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": duration,
                "remote_addr": request.remote_addr,
            },
        )
        return response
