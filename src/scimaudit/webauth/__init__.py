"""Dashboard sign-in: passwords, the trusted proxy header, OIDC, browser sessions, failed sign-ins.

A layer above the review library: it turns a request into a checked
:class:`~scimaudit.review.actors.Actor`, which the review library then authorizes. It may import
review, analytics, store and config; nothing below imports it.
"""
