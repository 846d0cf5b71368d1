"""The password rule, one for every way a password is set (self-service, admin reset, CLI).

At least 12 characters, different from the username, and not on the bundled list of common passwords
(`common-passwords.txt.gz`: the 20,000 most common passwords list shipped with Django, BSD licence), also
after dropping case and trailing digits or symbols ("Password2024!" is "password").
"""

from __future__ import annotations

import gzip
import re
from functools import cache
from pathlib import Path

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common-passwords.txt.gz")
_TRAILING_NON_LETTERS = re.compile(r"[^a-z]+$")


@cache
def common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as handle:
        return frozenset(line.strip().lower() for line in handle if line.strip())


def is_common(password: str) -> bool:
    lowered = password.lower()
    stem = _TRAILING_NON_LETTERS.sub("", lowered)
    common = common_passwords()
    return lowered in common or (len(stem) >= 4 and stem in common)


def password_problem(password: str, username: str | None = None) -> str | None:
    """Why `password` may not be used, or None when it may."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Use at most {MAX_PASSWORD_LENGTH} characters."
    if username and username.lower() in password.lower():
        return "Do not put your username in your password."
    if is_common(password):
        return "That password is too common: it is among the first ones guessed. Choose a longer, rarer one."
    return None
