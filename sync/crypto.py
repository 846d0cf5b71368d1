"""At-rest encryption of record bodies: AES-256-GCM, a key id stored per row, rotation by adding keys."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .protocol import encode_body

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
        self._aead = {key_id: AESGCM(key) for key_id, key in self.keys.items()}  # key schedule once, not per row

    def encrypt(self, body: dict, context: str) -> tuple[str, bytes]:
        """Return (key id, nonce ‖ ciphertext). `context` (e.g. record id) is bound as associated data,
        so a ciphertext copied onto another row will not decrypt there."""
        return self.encrypt_bytes(encode_body(body), context)

    def encrypt_bytes(self, data: bytes, context: str) -> tuple[str, bytes]:
        """Encrypt bytes already encoded (e.g. PushOp.encoded_body, so a body is JSON-encoded once)."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead[self.current_key_id].encrypt(nonce, data, context.encode())
        return self.current_key_id, nonce + sealed

    def decrypt_bytes(self, key_id: str, blob: bytes, context: str, what: str = "attachment") -> bytes:
        aead = self._aead.get(key_id)
        if aead is None:
            raise BodyDecryptError(f"no key with id {key_id!r}; was it removed after rotation?")
        try:
            return aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], context.encode())
        except InvalidTag:
            raise BodyDecryptError(f"{what} failed authentication (tampered, or wrong row)") from None

    def decrypt(self, key_id: str, blob: bytes, context: str) -> dict:
        return json.loads(self.decrypt_bytes(key_id, blob, context, "record body"))
