"""``python -m scimaudit``."""

from scimaudit.cli import main

main()
