# Sourced by start.sh: Courier-IMAP (placeholder)
:
