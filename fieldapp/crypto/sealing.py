"""Sealed envelopes: records a device finalized, readable only with the server's private key.

Scheme (version 1), mirrored by fieldapp/static/js/outbox.js:
  shared = ECDH(P-256, ephemeral device key, server key `kid`)
  key    = HKDF-SHA256(ikm=shared, salt=epk, info=b"fieldapp/seal/v1/" + kid, 32 bytes)
  ct     = AES-256-GCM(key, iv (12 random bytes), plaintext, aad=b"fieldapp/seal/v1/" + kid)
Envelope JSON: {"v": 1, "kid": ..., "epk": b64url(raw point), "iv": b64url, "ct": b64url(ciphertext+tag)}.
Binding the key id into HKDF info and the GCM AAD means an envelope relabelled with another kid or
version fails authentication instead of being opened under the wrong assumptions.

Key pairs live as `<kid>.pem` (mode 0600) in the sealing-keys folder, with `current` naming the key
devices are given; older keys stay there so records sealed before a rotation still open.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ..secret_files import make_private_dir, write_secret_file

SEAL_VERSION = 1
ALGORITHM = "ECDH-ES-P256+HKDF-SHA256+A256GCM"
CONTEXT = b"fieldapp/seal/v1/"
CURRENT_FILE = "current"


class SealError(ValueError):
    """An envelope that cannot be opened: malformed, altered, or sealed to a key we do not hold."""


class NoSealingKey(RuntimeError):
    """No sealing key pair has been generated or configured yet."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    # validate=True refuses anything outside the url-safe alphabet (padding is added here, never accepted
    # from the sender), in C rather than a regex over every ciphertext.
    if not isinstance(text, str) or "=" in text or "+" in text or "/" in text:
        raise SealError("envelope field is not base64url text")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise SealError("envelope field is not valid base64url") from None


def _raw_point(public_key: ec.EllipticCurvePublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def kid_for(public_key: ec.EllipticCurvePublicKey) -> str:
    """A key id derived from the public key itself, so the same key always has the same id."""
    return hashlib.sha256(_raw_point(public_key)).hexdigest()[:16]


@dataclass(frozen=True)
class SealingKey:
    kid: str
    private_key: ec.EllipticCurvePrivateKey

    @property
    def public_raw(self) -> bytes:
        return _raw_point(self.private_key.public_key())

    @property
    def public_b64(self) -> str:
        return b64url(self.public_raw)

    @classmethod
    def from_pem(cls, pem: bytes) -> SealingKey:
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
            raise ValueError("a sealing key must be an EC P-256 private key")
        return cls(kid_for(key.public_key()), key)


class SealingKeyring:
    """Every sealing key this server holds, and which one is current."""

    def __init__(self, keys: dict[str, SealingKey], current_kid: str | None):
        self.keys = keys
        self.current_kid = current_kid

    @classmethod
    def load(cls, directory: str | os.PathLike, env_pem: str | None = None) -> SealingKeyring:
        """Read `<kid>.pem` files from `directory`; a PEM given by environment becomes current."""
        folder = Path(directory)
        keys: dict[str, SealingKey] = {}
        if folder.is_dir():
            for path in sorted(folder.glob("*.pem")):
                key = SealingKey.from_pem(path.read_bytes())
                keys[key.kid] = key
        current = None
        current_file = folder / CURRENT_FILE
        if current_file.exists():
            current = current_file.read_text().strip() or None
        if env_pem:
            env_key = SealingKey.from_pem(env_pem.encode())
            keys[env_key.kid] = env_key
            current = env_key.kid
        if current is not None and current not in keys:
            raise NoSealingKey(f"the current sealing key {current} has no key file in {folder}")
        return cls(keys, current)

    @property
    def current(self) -> SealingKey:
        if self.current_kid is None:
            raise NoSealingKey("no sealing key yet: run `fieldapp keys generate`")
        return self.keys[self.current_kid]

    def get(self, kid: str) -> SealingKey:
        key = self.keys.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise SealError(f"envelope was sealed to key id {str(kid)[:32]!r}, which this server does not hold")
        return key


def generate_key(directory: str | os.PathLike) -> SealingKey:
    """Write a new P-256 key pair as `<kid>.pem` (0600) in `directory` and make it current."""
    folder = make_private_dir(directory)
    private_key = ec.generate_private_key(ec.SECP256R1())
    key = SealingKey(kid_for(private_key.public_key()), private_key)
    pem = key.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    if not write_secret_file(folder / f"{key.kid}.pem", pem, exclusive=True):
        raise FileExistsError(f"sealing key {key.kid} already exists")
    # Replace `current` atomically: a request reading it mid-rotation sees the old or the new id, never half.
    temporary = folder / f".{CURRENT_FILE}.{key.kid}"
    temporary.write_text(key.kid + "\n")
    os.replace(temporary, folder / CURRENT_FILE)
    return key


def _derive_key(shared: bytes, epk_raw: bytes, kid: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=epk_raw, info=CONTEXT + kid.encode()).derive(shared)


def seal(plaintext: bytes, public_raw: bytes, kid: str) -> dict:
    """Seal `plaintext` to a server public key (the device does this in outbox.js; tests and tools use this)."""
    recipient = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), public_raw)
    ephemeral = ec.generate_private_key(ec.SECP256R1())
    epk_raw = _raw_point(ephemeral.public_key())
    key = _derive_key(ephemeral.exchange(ec.ECDH(), recipient), epk_raw, kid)
    iv = os.urandom(12)
    ct = AESGCM(key).encrypt(iv, plaintext, CONTEXT + kid.encode())
    return {"v": SEAL_VERSION, "kid": kid, "epk": b64url(epk_raw), "iv": b64url(iv), "ct": b64url(ct)}


def _parse(envelope: dict | str | bytes) -> dict:
    if isinstance(envelope, str | bytes):
        try:
            envelope = json.loads(envelope)
        except (ValueError, UnicodeDecodeError):
            raise SealError("envelope is not JSON") from None
    if not isinstance(envelope, dict):
        raise SealError("envelope must be a JSON object")
    missing = {"v", "kid", "epk", "iv", "ct"} - envelope.keys()
    if missing:
        raise SealError(f"envelope lacks {', '.join(sorted(missing))}")
    if envelope["v"] != SEAL_VERSION:
        raise SealError(f"envelope version {str(envelope['v'])[:8]!r} is not supported (expected {SEAL_VERSION})")
    return envelope


def unseal(envelope: dict | str | bytes, keyring: SealingKeyring | None = None) -> bytes:
    """Open a sealed envelope; raise SealError if it is malformed, altered or sealed to an unknown key."""
    envelope = _parse(envelope)
    key = (keyring or current_keyring()).get(envelope["kid"])
    epk_raw, iv, ct = (b64url_decode(envelope[name]) for name in ("epk", "iv", "ct"))
    if len(iv) != 12:
        raise SealError("envelope iv must be 12 bytes")
    try:
        ephemeral = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), epk_raw)
    except ValueError:
        raise SealError("envelope epk is not a P-256 point") from None
    kid = envelope["kid"]  # the id the device sealed to, as written on the envelope, is what must authenticate
    aes_key = _derive_key(key.private_key.exchange(ec.ECDH(), ephemeral), epk_raw, kid)
    try:
        return AESGCM(aes_key).decrypt(iv, ct, CONTEXT + kid.encode())
    except InvalidTag:
        raise SealError("envelope failed authentication: it was altered, truncated or is not ours") from None


def _folder_stamp(directory: str | os.PathLike) -> tuple:
    """What changes whenever a key is added, removed or made current: the folder's and `current`'s mtimes.

    Key files and `current` are only ever replaced (os.replace, O_EXCL), never edited in place, so each
    change touches the folder's own mtime; `current` is stamped too for editors that rewrite in place.
    """
    stamp = []
    for path in (Path(directory), Path(directory) / CURRENT_FILE):
        try:
            info = path.stat()
            stamp.append((info.st_mtime_ns, info.st_ino, info.st_size))
        except FileNotFoundError:
            stamp.append(None)
    return tuple(stamp)


_cache: dict[tuple, tuple[tuple, SealingKeyring]] = {}
_cache_lock = threading.Lock()


def cached_keyring(directory: str | os.PathLike, env_pem: str | None = None) -> SealingKeyring:
    """The keyring of `directory`, parsed once per process and again only when the folder changes.

    Parsing PEM files took about a fifth of a push's server time when it was done for every op.
    """
    key = (str(directory), env_pem)
    stamp = _folder_stamp(directory)
    cached = _cache.get(key)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    with _cache_lock:
        keyring = SealingKeyring.load(directory, env_pem)
        _cache[key] = (stamp, keyring)
        return keyring


def current_keyring() -> SealingKeyring:
    """The keyring configured for the running app (keys dir plus any PEM given by environment)."""
    from flask import current_app

    return cached_keyring(current_app.config["SEALING_KEYS_DIR"], current_app.config.get("SEALING_KEY_PEM"))
