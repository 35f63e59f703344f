"""Evidence packs: PDF/A-3b documents with their data attached, and their verification.

Entry points: :func:`scimaudit.reporting.build.build_report` (``scimaudit report``) and
:func:`scimaudit.reporting.verify.verify_pack` (``scimaudit verify``). Kept import-free so that
``verify`` does not load weasyprint or matplotlib.
"""
