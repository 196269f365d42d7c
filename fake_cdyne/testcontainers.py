"""``FakeCdyneContainer``: the fake-cdyne image as a testcontainers-python container (the
``testcontainers`` extra).

    with FakeCdyneContainer() as fake:
        app.sms_url = fake.service_url
        app.postback_url = f"http://{fake.postback_host}:{receiver_port}/sms"
        with fake.client() as cdyne:
            ...

It starts the image, waits until ``/_fake/health`` answers (the image's own HEALTHCHECK asks the same),
and hands out the service URL, a ``FakeCdyneClient``, and the host name postbacks reach the tests'
machine by: ``host.docker.internal`` under Docker (mapped to the host gateway), ``host.containers.internal``
under podman, ``127.0.0.1`` with ``host_network=True``. A postback receiver must listen on an address
the container can reach: 0.0.0.0 on a bridge network, 127.0.0.1 with host networking.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Self

import httpx
from testcontainers.core.container import DockerContainer

from .client import FakeCdyneClient
from .errors import FakeCdyneError

DEFAULT_IMAGE = "ghcr.io/fake-cdyne/fake-cdyne:latest"
PORT = 8080  # the image's FAKE_CDYNE_PORT on a bridge network
SCENARIO_DIR = "/scenarios"  # where scenario files given as host paths are mounted
SHIPPED_SCENARIOS = "/opt/fake-cdyne/scenarios"  # the image's copy of the ready files


class ContainerNotReady(FakeCdyneError, RuntimeError):
    """The container stopped, or did not answer its health check in time; the message has its logs."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class FakeCdyneContainer(DockerContainer):
    def __init__(
        self,
        image: str = DEFAULT_IMAGE,
        *,
        host_network: bool = False,
        scenarios: Sequence[str | Path] = (),
        control_token: str | None = None,
        startup_timeout: float = 30.0,
        **kwargs: Any,
    ) -> None:
        """``scenarios``: files to load at start, each a path on this machine (mounted read-only) or
        a ready file of the image named relative to its scenarios folder (``"errors/InternalError.yaml"``).
        ``host_network``: share the host's network (``--network host``): the fake listens on a free
        port of the host and postbacks go to 127.0.0.1. Other settings: ``with_env("FAKE_CDYNE_...")``."""
        super().__init__(image, **kwargs)
        self.host_network = host_network
        self.control_token = control_token
        self.startup_timeout = startup_timeout
        self._podman = False  # known at start
        self._port = _free_port() if host_network else PORT
        self.with_env("FAKE_CDYNE_PORT", str(self._port))
        if host_network:
            self.with_kwargs(**self._kwargs, network_mode="host")
        else:
            self.with_exposed_ports(PORT)
        if control_token is not None:
            self.with_env("FAKE_CDYNE_CONTROL_TOKEN", control_token)
        inside: list[str] = []
        for number, scenario in enumerate(scenarios):
            path = Path(scenario)
            if path.exists():
                target = f"{SCENARIO_DIR}/{number}-{path.name}"
                self.with_volume_mapping(str(path.resolve()), target, "ro")
                inside.append(target)
            else:
                inside.append(f"{SHIPPED_SCENARIOS}/{scenario}")
        if inside:
            self.with_env("FAKE_CDYNE_SCENARIOS", ",".join(inside))

    # ---- starting ------------------------------------------------------------------------------

    def _is_podman(self) -> bool:
        version: dict[str, Any] = self.get_docker_client().client.version()
        names = [version.get("Platform", {}).get("Name", "")] + [
            c.get("Name", "") for c in version.get("Components", [])
        ]
        return any("podman" in name.lower() for name in names)

    def start(self) -> Self:
        # Docker on Linux knows host.docker.internal only when told; podman names the host itself.
        self._podman = self._is_podman()
        if not self.host_network and not self._podman:
            extra_hosts = {**self._kwargs.get("extra_hosts", {}), "host.docker.internal": "host-gateway"}
            self.with_kwargs(**self._kwargs, extra_hosts=extra_hosts)
        super().start()
        self._wait_healthy()
        return self

    def _wait_healthy(self) -> None:
        """Ask /_fake/health until it answers 200, the container stops, or the deadline passes."""
        deadline = time.monotonic() + self.startup_timeout
        health = f"{self.url}/_fake/health"
        last = "no answer yet"
        with httpx.Client(timeout=2, trust_env=False) as http:
            while time.monotonic() < deadline:
                try:
                    reply = http.get(health)
                    if reply.status_code == 200:
                        return
                    last = f"HTTP {reply.status_code}"
                except httpx.TransportError as error:
                    last = f"{type(error).__name__}: {error}"
                if self.status not in ("created", "running"):
                    raise ContainerNotReady(f"the container stopped ({self.status}):\n{self.logs()}")
                time.sleep(0.1)  # a poll interval: the health route is the only signal a container gives
        raise ContainerNotReady(f"{health} not healthy within {self.startup_timeout} s ({last}):\n{self.logs()}")

    def logs(self) -> str:
        """The container's output so far, stdout then stderr."""
        out, err = self.get_logs()
        return (out + err).decode(errors="replace")

    @property
    def status(self) -> str:
        self.get_wrapped_container().reload()
        return str(self.get_wrapped_container().status)

    # ---- what tests use ------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The fake's root URL from this machine (``http://localhost:49153``)."""
        if self.host_network:
            return f"http://{self.get_docker_client().host()}:{self._port}"
        return f"http://{self.get_container_host_ip()}:{self.get_exposed_port(PORT)}"

    @property
    def service_url(self) -> str:
        """What the app under test uses instead of ``http://sms2.cdyne.com/sms.svc``."""
        return f"{self.url}/sms.svc"

    @property
    def messaging_url(self) -> str:
        """What the app under test uses instead of ``https://messaging.cdyne.com/Messaging.svc``."""
        return f"{self.url}/Messaging.svc"

    @property
    def postback_host(self) -> str:
        """The host name by which the fake, inside its container, reaches this machine: put it in
        StatusPostBackURL (``http://{postback_host}:{port}/...``)."""
        if self.host_network:
            return "127.0.0.1"
        return "host.containers.internal" if self._podman else "host.docker.internal"

    def client(self, license_key: str | None = None) -> FakeCdyneClient:
        """A handle on one account (a fresh license key by default); close it, or use it in ``with``."""
        return FakeCdyneClient(self.url, license_key, token=self.control_token)
