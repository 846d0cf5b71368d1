"""A file encrypted under a passphrase: scrypt derives the key, AES-256-GCM seals it in 1 MiB chunks.

Layout: the magic line, a JSON header line (kdf parameters, salt, nonce prefix, purpose), then chunks, each
`4-byte length ‖ ciphertext+tag`. Chunk i's nonce is prefix(7) ‖ i(4, big-endian) ‖ last(1), and the header is
bound as associated data of every chunk, so reordered, truncated, extended or relabelled files fail to open.
Chunks keep memory flat for a large database.
"""

from __future__ import annotations

import base64
import json
import os
import struct
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

MAGIC = b"FIELDAPP-SEALED-FILE-1\n"
CHUNK = 1 << 20
SCRYPT_N, SCRYPT_R, SCRYPT_P = 1 << 17, 8, 1  # ~128 MiB and ~0.5 s per guess: a stolen backup is slow to guess
MIN_PASSPHRASE = 12


class WrongPassphrase(ValueError):
    """The passphrase does not open this file (or the file was altered)."""


class NotASealedFile(ValueError):
    """The file is not one of ours, or is cut short."""


def check_passphrase(passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE:
        raise ValueError(f"the passphrase must be at least {MIN_PASSPHRASE} characters")


def _key(passphrase: str, header: dict) -> bytes:
    kdf = Scrypt(salt=base64.b64decode(header["salt"]), length=32, n=header["n"], r=header["r"], p=header["p"])
    return kdf.derive(passphrase.encode())


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    return prefix + struct.pack(">IB", index, 1 if last else 0)


def seal_stream(source: BinaryIO, target: BinaryIO, passphrase: str, purpose: str) -> None:
    """Encrypt everything readable from `source` into `target`."""
    check_passphrase(passphrase)
    header = {
        "kdf": "scrypt",
        "n": SCRYPT_N,
        "r": SCRYPT_R,
        "p": SCRYPT_P,
        "cipher": "AES-256-GCM",
        "salt": base64.b64encode(os.urandom(16)).decode(),
        "prefix": base64.b64encode(os.urandom(7)).decode(),
        "chunk": CHUNK,
        "purpose": purpose,
    }
    header_line = json.dumps(header, sort_keys=True).encode() + b"\n"
    aead, prefix = AESGCM(_key(passphrase, header)), base64.b64decode(header["prefix"])
    target.write(MAGIC + header_line)
    index, chunk = 0, source.read(CHUNK)
    while True:
        following = source.read(CHUNK)
        sealed = aead.encrypt(_nonce(prefix, index, not following), chunk, header_line)
        target.write(struct.pack(">I", len(sealed)) + sealed)
        if not following:
            return
        index, chunk = index + 1, following


def read_header(source: BinaryIO) -> tuple[dict, bytes]:
    if source.read(len(MAGIC)) != MAGIC:
        raise NotASealedFile("this is not a fieldapp backup or key file")
    header_line = source.readline()
    try:
        return json.loads(header_line), header_line
    except ValueError:
        raise NotASealedFile("the file's header is damaged") from None


def open_stream(source: BinaryIO, target: BinaryIO, passphrase: str, purpose: str) -> None:
    """Decrypt `source` into `target`; WrongPassphrase if the first chunk does not open."""
    header, header_line = read_header(source)
    if header.get("purpose") != purpose:
        raise NotASealedFile(f"this file holds {header.get('purpose')!r}, not {purpose!r}")
    aead, prefix = AESGCM(_key(passphrase, header)), base64.b64decode(header["prefix"])
    index = 0
    while True:
        size = source.read(4)
        if len(size) != 4:
            raise NotASealedFile("the file is cut short: its last part is missing")
        sealed = source.read(struct.unpack(">I", size)[0])
        last = source.peek(1)[:1] == b"" if hasattr(source, "peek") else _at_end(source)
        try:
            target.write(aead.decrypt(_nonce(prefix, index, last), sealed, header_line))
        except InvalidTag:
            if index == 0:
                raise WrongPassphrase("wrong passphrase: this file does not open with it (or it was altered)") from None
            raise NotASealedFile(f"part {index + 1} of the file was altered or is out of place") from None
        if last:
            return
        index += 1


def _at_end(source: BinaryIO) -> bool:
    position = source.tell()
    at_end = source.read(1) == b""
    source.seek(position)
    return at_end
