"""Safety email goes over TLS by default (STARTTLS or implicit TLS), with an explicit opt-out.

Real aiosmtpd servers on loopback; the TLS ones use a throwaway certificate made here for 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import threading

import pytest
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from fieldapp.extensions import db
from fieldapp.safety.channels import send_email
from tests.conftest import make_app
from tests.safety.doubles import free_port


class Inbox:
    def __init__(self):
        self.messages, self.lock = [], threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append({"tls": session.ssl is not None, "data": envelope.content.decode()})
        return "250 OK"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    folder = tmp_path_factory.mktemp("smtp-tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fieldapp test SMTP")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def _server_context(certificate) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return context


@pytest.fixture
def serve():
    started = []

    def start(**options):
        inbox, port = Inbox(), free_port()
        controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
        controller.start()
        started.append(controller)
        return inbox, port

    yield start
    for controller in started:
        controller.stop()


@pytest.fixture
def mail_app(tmp_path, request):
    from fieldapp.config import settings_from_env

    app = make_app("sqlite", tmp_path, request)
    # The shared test config opts out (its SMTP doubles speak plain text); here the real default applies.
    app.config["SMTP_SECURITY"] = settings_from_env(app.instance_path).get("SMTP_SECURITY")
    with app.app_context():
        yield app
        db.engine.dispose()


def _send(app, port, **config):
    app.config.update({"SMTP_HOST": "127.0.0.1", "SMTP_PORT": port, **config})
    return send_email(app, "duty@example.invalid", "Safety alert", "A worker has not checked out.")


def test_default_is_starttls_and_the_message_arrives_encrypted(mail_app, serve, certificate):
    assert mail_app.config["SMTP_SECURITY"] == "starttls"
    inbox, port = serve(tls_context=_server_context(certificate), require_starttls=True)
    outcome = _send(mail_app, port, SMTP_CA_FILE=str(certificate[0]))
    assert outcome.ok, outcome.detail
    assert [m["tls"] for m in inbox.messages] == [True]


def test_default_refuses_a_server_without_starttls(mail_app, serve):
    inbox, port = serve()
    outcome = _send(mail_app, port)
    assert not outcome.ok and "STARTTLS" in outcome.detail
    assert inbox.messages == []  # nothing went out in clear text


def test_default_refuses_a_certificate_it_cannot_verify(mail_app, serve, certificate):
    inbox, port = serve(tls_context=_server_context(certificate), require_starttls=True)
    outcome = _send(mail_app, port)  # no CA file: the throwaway certificate is not trusted
    assert not outcome.ok and "CERTIFICATE_VERIFY_FAILED" in outcome.detail
    assert inbox.messages == []


def test_implicit_tls(mail_app, serve, certificate):
    inbox, port = serve(ssl_context=_server_context(certificate))
    outcome = _send(mail_app, port, SMTP_SECURITY="tls", SMTP_CA_FILE=str(certificate[0]))
    assert outcome.ok, outcome.detail
    assert len(inbox.messages) == 1


def test_explicit_opt_out_sends_in_clear_text(mail_app, serve):
    inbox, port = serve()
    outcome = _send(mail_app, port, SMTP_SECURITY="none")
    assert outcome.ok, outcome.detail
    assert [m["tls"] for m in inbox.messages] == [False]
