"""Sealed envelopes: the server opens what devices sealed, refuses anything altered, and keeps old keys."""

from __future__ import annotations

import json
import os
import stat

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldapp.cli.keys import keys_group
from fieldapp.crypto.sealing import (
    NoSealingKey,
    SealError,
    SealingKeyring,
    b64url,
    b64url_decode,
    generate_key,
    seal,
    unseal,
)


@pytest.fixture
def keys_dir(tmp_path):
    return tmp_path / "sealing-keys"


def _sealed(keys_dir, plaintext=b'{"note": "seen alone"}'):
    key = SealingKeyring.load(keys_dir).current
    return seal(plaintext, key.public_raw, key.kid)


def test_generated_key_is_private_to_its_owner_and_current(keys_dir):
    key = generate_key(keys_dir)
    assert stat.S_IMODE(os.stat(keys_dir / f"{key.kid}.pem").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(keys_dir).st_mode) == 0o700
    keyring = SealingKeyring.load(keys_dir)
    assert keyring.current_kid == key.kid
    assert len(key.public_raw) == 65 and key.public_raw[0] == 4


def test_sealed_envelope_opens_with_the_server_key(keys_dir):
    generate_key(keys_dir)
    envelope = _sealed(keys_dir)
    assert set(envelope) == {"v", "kid", "epk", "iv", "ct"} and envelope["v"] == 1
    assert unseal(envelope, SealingKeyring.load(keys_dir)) == b'{"note": "seen alone"}'
    assert unseal(json.dumps(envelope), SealingKeyring.load(keys_dir)) == b'{"note": "seen alone"}'


@pytest.mark.parametrize("field", ["ct", "iv", "epk"])
def test_a_flipped_byte_anywhere_is_refused(keys_dir, field):
    generate_key(keys_dir)
    envelope = _sealed(keys_dir)
    raw = bytearray(b64url_decode(envelope[field]))
    raw[len(raw) // 2] ^= 0x01
    with pytest.raises(SealError):
        unseal({**envelope, field: b64url(bytes(raw))}, SealingKeyring.load(keys_dir))


def test_relabelling_an_envelope_with_another_key_id_is_refused(keys_dir):
    first = generate_key(keys_dir)
    envelope = _sealed(keys_dir)
    second = generate_key(keys_dir)
    keyring = SealingKeyring.load(keys_dir)
    # Even if the ids were swapped on disk, the kid is bound into HKDF info and the GCM AAD.
    swapped = SealingKeyring({first.kid: keyring.keys[first.kid], second.kid: keyring.keys[first.kid]}, first.kid)
    with pytest.raises(SealError, match="failed authentication"):
        unseal({**envelope, "kid": second.kid}, swapped)


@pytest.mark.parametrize(
    "envelope, message",
    [
        ("not json", "not JSON"),
        ([1, 2], "JSON object"),
        ({"v": 1, "kid": "x"}, "lacks"),
        ({"v": 2, "kid": "x", "epk": "", "iv": "", "ct": ""}, "version"),
        ({"v": 1, "kid": "0000000000000000", "epk": "", "iv": "", "ct": ""}, "does not hold"),
    ],
)
def test_malformed_envelopes_get_a_clear_error(keys_dir, envelope, message):
    generate_key(keys_dir)
    with pytest.raises(SealError, match=message):
        unseal(envelope, SealingKeyring.load(keys_dir))


def test_bad_fields_are_seal_errors_not_crashes(keys_dir):
    generate_key(keys_dir)
    envelope = _sealed(keys_dir)
    keyring = SealingKeyring.load(keys_dir)
    for broken in (
        {**envelope, "epk": "AAAA"},
        {**envelope, "iv": "AAAA"},
        {**envelope, "ct": "!!"},
        {**envelope, "ct": ""},
    ):
        with pytest.raises(SealError):
            unseal(broken, keyring)


def test_rotation_keeps_items_sealed_before_it_openable(keys_dir):
    old = generate_key(keys_dir)
    before = _sealed(keys_dir, b"before rotation")
    new = generate_key(keys_dir)
    after = _sealed(keys_dir, b"after rotation")
    keyring = SealingKeyring.load(keys_dir)
    assert keyring.current_kid == new.kid != old.kid
    assert (before["kid"], after["kid"]) == (old.kid, new.kid)
    assert unseal(before, keyring) == b"before rotation"
    assert unseal(after, keyring) == b"after rotation"


def test_a_pem_from_the_environment_is_current_and_folder_keys_still_open(keys_dir):
    old = generate_key(keys_dir)
    before = _sealed(keys_dir, b"sealed to the folder key")
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    keyring = SealingKeyring.load(keys_dir, env_pem=pem)
    assert keyring.current_kid != old.kid
    assert unseal(before, keyring) == b"sealed to the folder key"
    current = keyring.current
    assert unseal(seal(b"to env key", current.public_raw, current.kid), keyring) == b"to env key"


def test_no_key_yet_says_what_to_run(keys_dir):
    with pytest.raises(NoSealingKey, match="fieldapp keys generate"):
        _ = SealingKeyring.load(keys_dir).current


@settings(max_examples=25, deadline=None)
@given(st.binary(max_size=4096))
def test_any_plaintext_round_trips(tmp_path_factory, plaintext):
    keys_dir = tmp_path_factory.mktemp("keys")
    key = generate_key(keys_dir)
    assert unseal(seal(plaintext, key.public_raw, key.kid), SealingKeyring.load(keys_dir)) == plaintext


def test_keys_cli_generates_and_lists(app, runner):
    result = runner.invoke(keys_group, ["generate"])
    assert result.exit_code == 0, result.output
    kid = result.output.split()[3]
    listing = runner.invoke(keys_group, ["list"])
    assert listing.exit_code == 0 and f"* {kid}" in listing.output
    assert (app.config["SEALING_KEYS_DIR"]).startswith(app.instance_path)
