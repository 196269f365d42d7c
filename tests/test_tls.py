"""TLS: clients hard-wired to https:// and /SecureREST/ work unchanged, trusting the CA the fake writes."""

from __future__ import annotations

import ssl
import uuid
from pathlib import Path

import httpx
import pytest
import requests
import trustme
import zeep
from zeep.transports import Transport

from fake_cdyne import Config, ConfigError, FakeServer

from .test_cli import start


def test_https_with_a_certificate_made_at_start(tmp_path: Path) -> None:
    ca_out = tmp_path / "ca.pem"
    with FakeServer(Config(port=0, tls=True, tls_ca_out=str(ca_out))) as fake:
        assert fake.url.startswith("https://127.0.0.1:")
        assert fake.ca_file == str(ca_out)
        trusted = ssl.create_default_context(cafile=str(ca_out))
        params = {"PhoneNumber": "7575449510", "Message": "secure", "LicenseKey": str(uuid.uuid4())}
        with httpx.Client(verify=trusted) as http:
            reply = http.get(f"{fake.url}/sms.svc/SecureREST/SimpleSMSsend", params=params)
            assert "<SMSError>NoError</SMSError>" in reply.text
            wsdl = http.get(f"{fake.url}/sms.svc?wsdl").text
            assert f'<soap:address location="{fake.url}/sms.svc/SecureSoap" />' in wsdl
        with httpx.Client() as untrusting, pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            untrusting.get(f"{fake.url}/_fake/health")


def test_a_soap_client_over_https(tmp_path: Path) -> None:
    ca_out = tmp_path / "ca.pem"
    with FakeServer(Config(port=0, tls=True, tls_ca_out=str(ca_out))) as fake, requests.Session() as session:
        session.verify = str(ca_out)
        session.trust_env = False  # else REQUESTS_CA_BUNDLE in the environment overrides verify
        client = zeep.Client(f"{fake.url}/sms.svc?wsdl", transport=Transport(session=session))
        secure = client.bind("sms", "sms2SOAPbasicHttpsBinding")
        reply = secure.SimpleSMSsend(PhoneNumber="7575449510", Message="x", LicenseKey=str(uuid.uuid4()))
        assert reply.SMSError == "NoError"


def test_https_with_the_users_certificate(tmp_path: Path) -> None:
    authority = trustme.CA()
    leaf = authority.issue_cert("127.0.0.1")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    leaf.cert_chain_pems[0].write_to_path(str(cert))
    leaf.private_key_pem.write_to_path(str(key))
    with FakeServer(Config(port=0, tls=True, tls_cert=str(cert), tls_key=str(key))) as fake:
        assert fake.ca_file is None
        context = ssl.create_default_context()
        authority.configure_trust(context)
        assert httpx.get(f"{fake.url}/_fake/health", verify=context).json() == {"status": "ok"}


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        ({"tls_cert": "cert.pem"}, "give both tls_cert and tls_key"),
        ({"tls_cert": "missing.pem", "tls_key": "missing.pem"}, "tls_cert 'missing.pem' is not a file"),
        ({"tls_names": ("bad name",)}, "TLS name 'bad name'"),
    ],
)
def test_tls_settings_are_checked(settings: dict[str, object], words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        FakeServer(Config(port=0, tls=True, **settings))  # type: ignore[arg-type]


def test_serve_with_tls_says_which_ca_to_trust(tmp_path: Path) -> None:
    ca_out = tmp_path / "ca.pem"
    with start("--tls", "--tls-ca-out", str(ca_out)) as running:
        assert running.url.startswith("https://")
        assert any(f"trust the CA certificate {ca_out}" in line for line in running.lines)
        assert httpx.get(
            f"{running.url}/_fake/health", verify=ssl.create_default_context(cafile=str(ca_out))
        ).is_success


def test_two_fakes_with_tls_write_their_own_ca() -> None:
    """Without --tls-ca-out each fake writes its CA to a file of its own (not one shared by every fake
    on the machine), and each CA is the one its server's certificate is signed by."""
    with start("--tls") as first, start("--tls") as second:
        found = []
        for running in (first, second):
            (line,) = [line for line in running.lines if "trust the CA certificate " in line]
            ca = line.rstrip("\n").rpartition("trust the CA certificate ")[2]
            trusted = ssl.create_default_context(cafile=ca)
            assert httpx.get(f"{running.url}/_fake/health", verify=trusted).is_success
            found.append(ca)
        assert found[0] != found[1]
        other = ssl.create_default_context(cafile=found[0])
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(f"{second.url}/_fake/health", verify=other)


def test_postbacks_to_an_https_receiver(tmp_path: Path) -> None:
    from fake_cdyne import PostbackReceiver
    from fake_cdyne.tls import TLSFiles

    authority = trustme.CA()
    leaf = authority.issue_cert("127.0.0.1")
    pem, ca = tmp_path / "receiver.pem", tmp_path / "ca.pem"
    leaf.private_key_and_cert_chain_pem.write_to_path(str(pem))
    authority.cert_pem.write_to_path(str(ca))
    key = str(uuid.uuid4())
    params = {"PhoneNumber": "7575449510", "Message": "x", "LicenseKey": key}
    with PostbackReceiver(tls_files=TLSFiles(str(pem), str(pem), None)) as receiver:
        assert receiver.url.startswith("https://")
        with FakeServer() as untrusting, httpx.Client(base_url=untrusting.url) as http:
            http.get("/sms.svc/SimpleSMSsendWithPostback", params=params | {"StatusPostBackURL": receiver.url})
            (entry,) = http.get("/_fake/postbacks/wait", params={"license_key": key}).json()
            assert "CERTIFICATE_VERIFY_FAILED" in entry["attempts"][0]["error"]
        with (
            FakeServer(Config(port=0, postback_ca_file=str(ca))) as trusting,
            httpx.Client(base_url=trusting.url) as http,
        ):
            http.get("/sms.svc/SimpleSMSsendWithPostback", params=params | {"StatusPostBackURL": f"{receiver.url}/s"})
            (entry,) = http.get("/_fake/postbacks/wait", params={"license_key": key}).json()
            assert entry["state"] == "delivered"
        assert receiver.wait_for(1)[0].form["SMSSent"] == "1"
