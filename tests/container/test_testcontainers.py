"""``fake_cdyne.testcontainers.FakeCdyneContainer``, driven for real through podman's Docker API
(``bash docker/test-image`` starts ``podman system service`` and points DOCKER_HOST at it)."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from fake_cdyne import PostbackReceiver
from fake_cdyne.testcontainers import ContainerNotReady, FakeCdyneContainer

from .test_image import image as image  # the image built from docker/Dockerfile, once per module

pytestmark = pytest.mark.skipif(
    os.environ.get("FAKE_CDYNE_CONTAINER_TESTS") != "1" or "DOCKER_HOST" not in os.environ,
    reason="run by docker/test-image, which starts podman's Docker API",
)

SEND = "SimpleSMSsendWithPostback"


def port_of(receiver: PostbackReceiver) -> int:
    port = httpx.URL(receiver.url).port
    assert port is not None
    return port


def send(service_url: str, key: str, postback_url: str = "", phone: str = "7575449510") -> str:
    params = {"PhoneNumber": phone, "Message": "Hi", "LicenseKey": key, "StatusPostBackURL": postback_url}
    return httpx.get(f"{service_url}/{SEND}", params=params, timeout=10).text


def test_host_network_serves_and_posts_back_to_127_0_0_1(image: str) -> None:
    with FakeCdyneContainer(image, host_network=True) as fake, PostbackReceiver() as receiver, fake.client() as cdyne:
        assert fake.postback_host == "127.0.0.1"
        postback_url = f"http://{fake.postback_host}:{port_of(receiver)}/sms"
        assert "<SMSError>NoError</SMSError>" in send(fake.service_url, cdyne.license_key, postback_url)
        cdyne.assert_sent(to="7575449510", message="Hi")
        (post,) = receiver.wait_for(1, timeout=10)
        assert post.form["SMSSent"] == "1"
        assert cdyne.wait_for_postbacks(1)[0].state == "delivered"


def test_the_messaging_api_answers_in_the_container(image: str) -> None:
    with FakeCdyneContainer(image, host_network=True) as fake, fake.client() as cdyne:
        assert fake.messaging_url == f"{fake.url}/Messaging.svc"
        body = {"Body": "Hi", "LicenseKey": cdyne.license_key, "To": ["7575449510"], "UseMMS": False}
        reply = httpx.post(f"{fake.messaging_url}/SendMessage", json=body, headers={"Accept": "application/json"})
        (entry,) = reply.json()
        assert (reply.status_code, entry["MessageStatus"], entry["To"]) == (200, 201, "17575449510")
        cdyne.assert_sent(to="7575449510", message="Hi")


def test_a_bridge_network_maps_the_port_and_reaches_the_host_by_name(image: str) -> None:
    with FakeCdyneContainer(image) as fake, PostbackReceiver(host="0.0.0.0") as receiver, fake.client() as cdyne:
        assert fake.postback_host == "host.containers.internal"  # podman's name; Docker's is host.docker.internal
        assert not fake.url.endswith(":8080")  # a mapped port
        postback_url = f"http://{fake.postback_host}:{port_of(receiver)}/sms"
        assert "<SMSError>NoError</SMSError>" in send(fake.service_url, cdyne.license_key, postback_url)
        (post,) = receiver.wait_for(1, timeout=10)
        assert post.form["ToPhoneNumber"] == "17575449510"


def test_scenarios_from_the_image_and_from_this_machine(image: str, tmp_path: Path) -> None:
    mine = tmp_path / "toll-free.yaml"
    mine.write_text('rules:\n  - match: {phone: {prefix: "1800"}}\n    outcome: {error: PhoneNumberInvalid}\n')
    mine.chmod(0o644)
    scenarios: list[str | Path] = [mine, "errors/InternalError.yaml"]
    with FakeCdyneContainer(image, host_network=True, scenarios=scenarios) as fake, fake.client() as cdyne:
        assert "PhoneNumberInvalid" in send(fake.service_url, cdyne.license_key, phone="18005550100")
        assert "InternalError" in send(fake.service_url, cdyne.license_key)
        assert "loaded scenario" in fake.logs()


def test_a_container_that_cannot_start_says_why_at_once(image: str) -> None:
    broken = FakeCdyneContainer(image, host_network=True, startup_timeout=60).with_env("FAKE_CDYNE_SEND_DELAY", "lots")
    with pytest.raises(ContainerNotReady, match="FAKE_CDYNE_SEND_DELAY='lots' is not a valid float"):
        broken.start()
    broken.stop()


def test_a_control_token_is_set_and_used(image: str) -> None:
    with FakeCdyneContainer(image, host_network=True, control_token="s3cret") as fake, fake.client() as cdyne:
        assert httpx.get(f"{fake.url}/_fake/messages").status_code == 401
        assert cdyne.messages == []
