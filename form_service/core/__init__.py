"""What every area of the service stands on: the clock (Europe/London, and `QM_NOW` outside production), the
content model loaded once, email and its outbox, the audit log, security headers and CSRF, text kept from a
refused post, plain error pages, the site's theme, absolute links for emails, reading posted text fields,
charts drawn on the server, and making any stored text safe to show.

The app factory (`form_service.create_app`), the store and its database (`form_service.store`, `form_service.db`,
`form_service.summaries`, `form_service.migrations`) and the settings (`form_service.config`) sit beside it.
"""
