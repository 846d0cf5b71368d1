"""Backup and restore of a whole instance (database + key material), and key escrow, under a passphrase."""
