"""The framework-free sync engine: protocol, apply_push(), pull(), merge. No Flask imports here."""
