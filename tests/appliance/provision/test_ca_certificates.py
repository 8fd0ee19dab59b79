"""The optional CA for update downloads: validated, imported to /data/config/ca.pem."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from appliance.provision.bootconfig import BootConfigError, parse_boot_config
from appliance.provision.staging import CA_FILE, OWNED

BASE = 'console_url = "https://console.example.org"\nenrollment_code = "K7PM-Q3XD-9HTW"\n'


def ca_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Kreis-IT CA")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def test_a_pem_certificate_is_kept() -> None:
    pem = ca_pem()
    config = parse_boot_config(BASE + f'ca_certificates = """\n{pem}"""\n')
    assert config.ca_certificates is not None
    assert config.ca_certificates.strip() == pem.strip()
    assert CA_FILE in OWNED  # removed again when the key goes away


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("42", "PEM form"),
        ('"hello"', "BEGIN CERTIFICATE"),
        ('"""-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"""', "readable"),
        ('"""-----BEGIN PRIVATE KEY-----\nAAAA"""', "private key"),
    ],
)
def test_bad_values_say_what_to_fix(value: str, says: str) -> None:
    with pytest.raises(BootConfigError) as caught:
        parse_boot_config(BASE + f"ca_certificates = {value}\n")
    (problem,) = caught.value.problems
    assert problem.key == "ca_certificates"
    assert says in str(problem)
