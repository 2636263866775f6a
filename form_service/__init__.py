"""The form service: registration, sign-in, self-evaluations and LA review, mounted at /app/.

`create_app` is the app factory (see the Flask tutorial's flaskr); each piece has an `init_app`.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import commands, reminders, store
from .accounts import auth
from .config import Config, config_from_env
from .core import clock, content, errors, mail, outbox, output, security, theme


def create_app(config: type[Config] | None = None, overrides: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.from_object(config or config_from_env())
    if overrides:
        app.config.update(overrides)
    app.config["DATA_DIR"] = Path(app.config["DATA_DIR"])
    app.config["SITE_DIR"] = Path(app.config["SITE_DIR"])
    app.config["CONTENT_ROOT"] = Path(app.config["CONTENT_ROOT"])
    _refuse_unsafe_production(app)
    if app.config["TRUSTED_PROXIES"]:
        # Behind a web server or CDN: take the client's address from X-Forwarded-For, trusting only that
        # many proxies, so rate limits and the audit log see people, not the proxy.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["TRUSTED_PROXIES"], x_proto=1, x_host=0)
    app.config["SECRET_KEY"] = app.config["SECRET_KEY"] or _development_secret(app)

    clock.init_app(app)
    content.init_app(app)
    store.init_app(app)
    mail.init_app(app)
    outbox.init_app(app)
    security.init_app(app)  # the CSRF check first: a post refused for its session keeps its text (kept_text)
    auth.init_app(app)
    errors.init_app(app)
    output.init_app(app)
    theme.init_app(app)
    commands.init_app(app)
    reminders.init_app(app)

    from .accounts.views import blueprint as accounts_pages
    from .actions.views import blueprint as actions_pages
    from .api.views import blueprint as api_endpoints
    from .evidence.views import blueprint as evidence_pages
    from .home.views import blueprint as home_pages
    from .insight.views import blueprint as insight_pages
    from .la import la
    from .moderation.views import blueprint as moderation_pages
    from .programme.views import blueprint as programme_pages
    from .register.views import blueprint as register_pages
    from .registration.views import blueprint as registration_pages
    from .reminders.views import blueprint as reminders_pages
    from .self_evaluation.views import blueprint as self_evaluation_pages
    from .versions.views import blueprint as versions_pages
    from .year_on_year.views import blueprint as year_on_year_pages

    app.register_blueprint(home_pages)
    app.register_blueprint(accounts_pages)
    app.register_blueprint(registration_pages)
    app.register_blueprint(la)
    app.register_blueprint(self_evaluation_pages)
    app.register_blueprint(actions_pages)
    app.register_blueprint(api_endpoints)
    app.register_blueprint(evidence_pages)
    app.register_blueprint(programme_pages)
    app.register_blueprint(insight_pages)
    app.register_blueprint(reminders_pages)
    app.register_blueprint(moderation_pages)
    app.register_blueprint(register_pages)
    app.register_blueprint(year_on_year_pages)
    app.register_blueprint(versions_pages)
    return app


PRODUCTION_NEEDS = {
    "SECRET_KEY": "Set the SECRET_KEY environment variable (a long random string) to run in production.",
    "TRUSTED_HOSTS": (
        "Set the TRUSTED_HOSTS environment variable to run in production: the host names people use to reach "
        "the service, separated by commas (for example quality-mark.example.org)."
    ),
}


def _refuse_unsafe_production(app: Flask) -> None:
    """Production stops before doing anything, naming every missing setting, rather than run unsafely: without
    SECRET_KEY sessions could be forged or lost, without TRUSTED_HOSTS it would answer to any Host."""
    if app.config["ENV_NAME"] != "production":
        return
    missing = [message for name, message in PRODUCTION_NEEDS.items() if not app.config.get(name)]
    if missing:
        raise SystemExit("\n".join(missing))


def _development_secret(app: Flask) -> str:
    """Outside production, one secret per data folder, so a restart, or another worker process on the same
    folder, keeps everyone signed in."""
    data_dir: Path = app.config["DATA_DIR"]
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / ".secret_key"
    if not path.exists():
        # Written whole under a name of its own, then linked into place: of processes starting together the
        # first link wins and every process reads that one secret, never a half-written file.
        draft = data_dir / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()
