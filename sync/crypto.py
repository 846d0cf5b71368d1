"""At-rest encryption of record bodies: AES-256-GCM, a key id stored per row, rotation by adding keys."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12


class BodyDecryptError(ValueError):
    pass


@dataclass
class BodyCipher:
    """Encrypt with the current key; decrypt with whichever key a row names."""

    keys: dict[str, bytes]
    current_key_id: str

    def __post_init__(self):
        if self.current_key_id not in self.keys:
            raise ValueError(f"current key id {self.current_key_id!r} has no key")
        for key_id, key in self.keys.items():
            if len(key) != 32:
                raise ValueError(f"key {key_id!r} must be 32 bytes (AES-256)")

    def encrypt(self, body: dict, context: str) -> tuple[str, bytes]:
        """Return (key id, nonce ‖ ciphertext). `context` (e.g. record id) is bound as associated data,
        so a ciphertext copied onto another row will not decrypt there."""
        nonce = os.urandom(NONCE_BYTES)
        plaintext = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
        ciphertext = AESGCM(self.keys[self.current_key_id]).encrypt(nonce, plaintext, context.encode())
        return self.current_key_id, nonce + ciphertext

    def encrypt_bytes(self, data: bytes, context: str) -> tuple[str, bytes]:
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self.keys[self.current_key_id]).encrypt(nonce, data, context.encode())
        return self.current_key_id, nonce + sealed

    def decrypt_bytes(self, key_id: str, blob: bytes, context: str) -> bytes:
        key = self.keys.get(key_id)
        if key is None:
            raise BodyDecryptError(f"no key with id {key_id!r}; was it removed after rotation?")
        try:
            return AESGCM(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], context.encode())
        except InvalidTag:
            raise BodyDecryptError("attachment failed authentication (tampered, or wrong row)") from None

    def decrypt(self, key_id: str, blob: bytes, context: str) -> dict:
        key = self.keys.get(key_id)
        if key is None:
            raise BodyDecryptError(f"no key with id {key_id!r}; was it removed after rotation?")
        try:
            plaintext = AESGCM(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], context.encode())
        except InvalidTag:
            raise BodyDecryptError("record body failed authentication (tampered, or wrong row)") from None
        return json.loads(plaintext)
