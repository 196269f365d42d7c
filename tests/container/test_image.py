"""The container image, built and run for real with podman (``bash docker/test-image``).

Skipped unless FAKE_CDYNE_CONTAINER_TESTS=1, which ``docker/test-image`` sets after making sure podman
and the base image are there; CI runs that script as a stage of its own.
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import time
import uuid
from pathlib import Path

import httpx
import pytest

from fake_cdyne import PostbackReceiver

ROOT = Path(__file__).parent.parent.parent
PODMAN = ["podman", "--runtime", "runc"]
IMAGE = "localhost/fake-cdyne:test"

pytestmark = pytest.mark.skipif(
    os.environ.get("FAKE_CDYNE_CONTAINER_TESTS") != "1", reason="run by docker/test-image, which prepares podman"
)


def podman(*args: str, timeout: float = 600) -> str:
    done = subprocess.run([*PODMAN, *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    assert done.returncode == 0, f"podman {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout.strip()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def image() -> str:
    base = os.environ.get("FAKE_CDYNE_BASE_IMAGE", "python:3.12-slim")
    podman(
        "build", "--format", "docker", "--isolation", "chroot", "--network", "host",
        "--build-arg", f"BASE_IMAGE={base}", "-f", "docker/Dockerfile", "-t", IMAGE, ".",
    )  # fmt: skip
    return IMAGE


class Container:
    def __init__(self, image: str, port: int, *env: str, volume: str | None = None) -> None:
        flags = [arg for pair in (("-e", e) for e in (f"FAKE_CDYNE_PORT={port}", *env)) for arg in pair]
        if volume:
            flags += ["-v", volume]
        self.id = podman("run", "-d", "--network", "host", "--ulimit", "host", *flags, image)
        self.url = f"http://127.0.0.1:{port}"

    def wait_healthy(self, deadline: float = 30) -> None:
        """Run the image's own HEALTHCHECK until it passes: it must follow FAKE_CDYNE_PORT. (podman runs
        health checks from systemd timers, which these machines lack; each run here is a real check.)"""
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            check = subprocess.run([*PODMAN, "healthcheck", "run", self.id], capture_output=True, text=True)
            if check.returncode == 0:
                return
            state = podman("inspect", "--format", "{{.State.Status}}", self.id)
            assert state == "running", self.logs()
        pytest.fail(f"not healthy within {deadline} s:\n{podman('logs', self.id)}")

    def stop(self) -> tuple[float, int, str]:
        started = time.monotonic()
        podman("stop", "-t", "10", self.id)
        took = time.monotonic() - started
        code = int(podman("inspect", "--format", "{{.State.ExitCode}}", self.id))
        return took, code, self.logs()

    def logs(self) -> str:
        """The container's stdout and stderr (podman passes each on as its own)."""
        done = subprocess.run([*PODMAN, "logs", self.id], capture_output=True, text=True, timeout=30)
        return done.stdout + done.stderr

    def remove(self) -> None:
        subprocess.run([*PODMAN, "rm", "-f", self.id], capture_output=True)


def test_the_image_serves_posts_back_and_stops_gracefully(image: str, receiver: PostbackReceiver) -> None:
    container = Container(image, free_port())
    try:
        container.wait_healthy()
        (inspected,) = json.loads(podman("image", "inspect", image))
        assert inspected["Config"]["User"] == "10001"
        assert "8080/tcp" in inspected["Config"]["ExposedPorts"]
        assert inspected["Healthcheck"]["Test"][0] == "CMD"  # kept: built with --format docker
        key = str(uuid.uuid4())
        # A client in another language: curl, as CI recipes in the README use it.
        sent = subprocess.run(
            ["curl", "-sf", f"{container.url}/sms.svc/SimpleSMSsendWithPostback?PhoneNumber=7575449510"
             f"&Message=From+the+host&LicenseKey={key}&StatusPostBackURL={receiver.url}/sms"],
            capture_output=True, text=True, timeout=30, check=True,
        )  # fmt: skip
        assert "<SMSError>NoError</SMSError>" in sent.stdout
        (post,) = receiver.wait_for(1, timeout=10)
        assert post.form["SMSSent"] == "1"
        assert post.headers["user-agent"] == "CDYNE SMSv2"
        took, code, logs = container.stop()
        assert took < 3, f"stopping took {took:.1f} s"
        assert code == 0, logs  # a stop asked for is a success (not 143, re-raised SIGTERM; not 137, killed)
        assert "Application shutdown complete" in logs
        assert "fake-cdyne: uvloop event loop, httptools parser\n" in logs  # installed with the fake
    finally:
        container.remove()


def test_scenarios_ship_in_the_image(image: str) -> None:
    scenario = "FAKE_CDYNE_SCENARIOS=/opt/fake-cdyne/scenarios/errors/InternalError.yaml"
    container = Container(image, free_port(), scenario)
    try:
        container.wait_healthy()
        params = {"PhoneNumber": "7575449510", "Message": "x", "LicenseKey": str(uuid.uuid4())}
        reply = httpx.get(f"{container.url}/sms.svc/SimpleSMSsend", params=params)
        assert "<SMSError>InternalError</SMSError>" in reply.text
    finally:
        container.remove()


def test_https_in_the_container(image: str, tmp_path: Path) -> None:
    tmp_path.chmod(0o777)  # the image's user writes the CA certificate here
    port = free_port()
    tls = ("FAKE_CDYNE_TLS=1", "FAKE_CDYNE_TLS_CA_OUT=/certs/ca.pem")
    container = Container(image, port, *tls, volume=f"{tmp_path}:/certs")
    try:
        container.wait_healthy()  # the health check itself must speak TLS
        trusted = ssl.create_default_context(cafile=str(tmp_path / "ca.pem"))
        reply = httpx.get(f"https://127.0.0.1:{port}/_fake/health", verify=trusted, timeout=10)
        assert reply.json() == {"status": "ok"}
    finally:
        container.remove()


def test_a_broken_setting_stops_the_container_with_a_clear_message(image: str) -> None:
    done = subprocess.run(
        [*PODMAN, "run", "--rm", "--network", "host", "--ulimit", "host", "-e", "FAKE_CDYNE_PORT=lots", image],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert "FAKE_CDYNE_PORT='lots' is not a valid int" in done.stderr
