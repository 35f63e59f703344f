"""The SCIM 2.0 protocol client (RFC 7644), shared by collection and remediation.

What every conversation with a SCIM service provider needs, and nothing about what is done with the
answers: the HTTP client (TLS verified, plain http only on loopback, no redirects) in ``client``,
credentials in ``auth``, the retry and rate-limit rules in ``retry`` and ``ratelimit``, one GET
with its body checked in ``fetch``, paging in ``paginate``, and ``discovery`` of what the server
supports.
``scimaudit.collect`` (reads) and ``scimaudit.remediation`` (writes) both build on this package and
never on each other; this package depends only on ``config`` and ``errors``.
"""
