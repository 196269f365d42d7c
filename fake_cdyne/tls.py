"""Optional TLS, so clients hard-wired to ``https://`` and ``/SecureREST/`` work unchanged.

Either the user's certificate and key, or a throwaway CA made at start (with ``trustme``, the
``fake-cdyne[tls]`` extra) whose certificate is written where clients can be told to trust it:
``tls_ca_out``, or by default ``ca.pem`` in a folder of the fake's own (one per start, so fakes running
side by side never overwrite each other's CA).
"""

from __future__ import annotations

import ipaddress
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .config import Config
from .errors import ConfigError


@dataclass(frozen=True, slots=True)
class TLSFiles:
    certfile: str
    keyfile: str
    ca_file: str | None  # the CA certificate clients should trust, when the fake made one


def prepare(config: Config) -> TLSFiles | None:
    if not config.tls:
        return None
    if config.tls_cert or config.tls_key:
        if not (config.tls_cert and config.tls_key):
            raise ConfigError("give both tls_cert and tls_key, or neither (a certificate is then made at start)")
        for name, path in (("tls_cert", config.tls_cert), ("tls_key", config.tls_key)):
            if not Path(path).is_file():
                raise ConfigError(f"{name} {path!r} is not a file")
        return TLSFiles(config.tls_cert, config.tls_key, None)
    try:
        import trustme
    except ImportError:
        raise ConfigError(
            "TLS with a generated certificate needs the tls extra: pip install 'fake-cdyne[tls]'"
        ) from None
    names = ["localhost", "127.0.0.1", "::1", *config.tls_names]
    if config.host not in ("0.0.0.0", "::", *names):
        names.append(config.host)
    for name in names:
        try:
            ipaddress.ip_address(name)
        except ValueError:
            if not name or " " in name:
                raise ConfigError(f"TLS name {name!r} is neither a host name nor an IP address") from None
    authority = trustme.CA(organization_name="fake-cdyne test CA")
    leaf = authority.issue_cert(*names)
    folder = Path(tempfile.mkdtemp(prefix=f"fake-cdyne-tls-{os.getpid()}-"))
    combined = folder / "server.pem"
    leaf.private_key_and_cert_chain_pem.write_to_path(str(combined))
    ca_file = Path(config.tls_ca_out) if config.tls_ca_out else folder / "ca.pem"
    try:
        ca_file.parent.mkdir(parents=True, exist_ok=True)
        authority.cert_pem.write_to_path(str(ca_file))
    except OSError as error:
        raise ConfigError(f"cannot write the CA certificate to {ca_file}: {error.strerror}") from None
    return TLSFiles(str(combined), str(combined), str(ca_file))
