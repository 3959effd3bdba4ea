"""Real NGINX for a set of Ingresses: certificates (openssl), the process, and a client replaying ``Request``s.

The client sends each request to 127.0.0.1 with the request's host as Host header and, over HTTPS, as SNI, and
verifies the certificate against the test CA that signed the Secrets' certificates: the controller's default
certificate is self-signed, so a host it covers is not served (as ``verify`` counts it). Redirects are not
followed. The answer becomes a ``Decision``: a verification failure ``unserved``, a 3xx ``redirect`` (status and
Location), a 404 ``not-found``, an echo server's 200 ``backend`` (its Service:port, the path with query it
received, the Host it received when that is not the request's host, X-Forwarded-Prefix), anything else ``error``.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path

from ingress2gw.source.objects import Ingress
from ingress2gw.verify.model import BACKEND, ERROR, NOT_FOUND, REDIRECT, UNSERVED, Decision, Request

from .echo import EchoServers
from .render import DEFAULT_CERT, build, render, secret_hosts


def nginx_binary() -> str | None:
    """``nginx`` on PATH, else Debian's /usr/sbin/nginx (/usr/sbin is not always on PATH)."""
    found = shutil.which("nginx")
    if found:
        return found
    return "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None


def free_ports(n: int) -> list[int]:
    """``n`` distinct ports nothing listens on (bound together, so the kernel cannot hand one out twice)."""
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


_OPENSSL_CONF = "[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = unused\n"
_EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"]


class Certificates:
    """A test CA, the controller's self-signed default certificate, and one CA-signed certificate per set of names
    (made on demand with openssl, cached)."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "openssl.cnf").write_text(_OPENSSL_CONF)
        self.ca = directory / "ca.crt"
        self._openssl("ca", ["-subj", "/CN=ingress2gw ground-truth CA", "-addext", "basicConstraints=critical,CA:TRUE",
                             "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                             "-addext", "subjectKeyIdentifier=hash"])
        self._openssl("default", ["-subj", "/CN=Kubernetes Ingress Controller Fake Certificate",
                                  "-addext", "subjectAltName=DNS:ingress.local"])
        self._made: dict[frozenset[str], tuple[str, str]] = {}

    def _openssl(self, name: str, args: list[str]) -> tuple[str, str]:
        crt, key = self.dir / f"{name}.crt", self.dir / f"{name}.key"
        subprocess.run(["openssl", "req", "-x509", "-config", str(self.dir / "openssl.cnf"), *_EC,
                        "-keyout", str(key), "-out", str(crt), *args], check=True, capture_output=True)
        return str(crt), str(key)

    def for_names(self, names: frozenset[str]) -> tuple[str, str]:
        if names not in self._made:
            sans = ",".join(f"DNS:{n}" for n in sorted(names))
            self._made[names] = self._openssl(f"leaf{len(self._made)}", [
                "-CA", str(self.ca), "-CAkey", str(self.dir / "ca.key"), "-subj", f"/CN={min(names)}",
                "-addext", "basicConstraints=critical,CA:FALSE", "-addext", "keyUsage=critical,digitalSignature",
                "-addext", "extendedKeyUsage=serverAuth", "-addext", f"subjectAltName={sans}",
                "-addext", "subjectKeyIdentifier=hash", "-addext", "authorityKeyIdentifier=keyid"])
        return self._made[names]

    def default(self) -> tuple[str, str]:
        return str(self.dir / "default.crt"), str(self.dir / "default.key")


class Site:
    """One running NGINX serving one set of Ingresses."""

    def __init__(self, http_port: int, https_port: int, ca: Path) -> None:
        self.http_port, self.https_port = http_port, https_port
        self.context = ssl.create_default_context(cafile=str(ca))

    def fetch(self, req: Request) -> Decision:
        port = self.https_port if req.scheme == "https" else self.http_port
        conn = _Connection(port, self.context if req.scheme == "https" else None, req.host)
        headers = {"Host": req.host, **dict(req.headers)}
        if req.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in req.cookies)
        try:
            conn.request(req.method, req.uri, headers=headers)
            resp = conn.getresponse()
            body = resp.read()
        except ssl.SSLCertVerificationError as e:
            return Decision(UNSERVED, detail=f"certificate rejected: {e.verify_message}")
        finally:
            conn.close()
        if 300 <= resp.status < 400:
            return Decision(REDIRECT, status=resp.status, location=resp.getheader("Location"))
        if resp.status == 404:
            return Decision(NOT_FOUND)
        if resp.status == 200 and resp.getheader("Content-Type") == "application/json":
            echo = json.loads(body)
            prefix = echo["headers"].get("x-forwarded-prefix")
            return Decision(BACKEND, backends=((echo["service"], Fraction(1)),), path=echo["path"],
                            host=None if echo["host"] == req.host else echo["host"],
                            headers=(("set", "x-forwarded-prefix", prefix),) if prefix is not None else ())
        return Decision(ERROR, status=resp.status, detail=body[:200].decode(errors="replace"))


class _Connection(http.client.HTTPConnection):
    """HTTP to 127.0.0.1, or HTTPS with the request's host as SNI and as the name the certificate must match."""

    def __init__(self, port: int, context: ssl.SSLContext | None, sni: str) -> None:
        super().__init__("127.0.0.1", port, timeout=10)
        self._context, self._sni = context, sni

    def connect(self) -> None:
        super().connect()
        if self._context is not None:
            self.sock = self._context.wrap_socket(self.sock, server_hostname=self._sni)


class GroundTruth:
    """Echo servers and certificates shared by every set; ``serving(ingresses)`` runs NGINX for one set."""

    def __init__(self, binary: str, directory: Path) -> None:
        self.binary = binary
        self.dir = directory
        self.echo = EchoServers()
        self.certs = Certificates(directory / "certs")
        self._process: subprocess.Popen | None = None
        self.last_config = ""

    @contextmanager
    def serving(self, ingresses: list[Ingress], services: dict | None = None):
        for server in build(ingresses, services):  # echo servers first: they keep their ports
            for loc in server.locations:
                if loc.backend:
                    self.echo.port(loc.backend)
        http_port, https_port, default_port = free_ports(3)
        secrets = secret_hosts(ingresses)

        def certificate(key: str) -> tuple[str, str]:
            names = frozenset(secrets.get(key, ()))
            return self.certs.default() if key == DEFAULT_CERT or not names else self.certs.for_names(names)

        work = Path(tempfile.mkdtemp(prefix="nginx-", dir=self.dir))
        self.last_config = render(ingresses, services, http_port=http_port, https_port=https_port,
                                  default_backend_port=default_port, upstream_port=self.echo.port,
                                  certificate=certificate, workdir=str(work))
        conf = work / "nginx.conf"
        conf.write_text(self.last_config)
        command = [self.binary, "-p", str(work), "-c", str(conf), "-g", f"daemon off; pid {work}/nginx.pid;"]
        test = subprocess.run(command + ["-t", "-q"], capture_output=True, text=True)
        if test.returncode != 0:
            raise AssertionError(f"nginx -t refused the rendered configuration:\n{test.stderr}\n{self.last_config}")
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            _wait_for(http_port, https_port, self._process)
            yield Site(http_port, https_port, self.certs.ca)
        finally:
            self.stop()
            shutil.rmtree(work, ignore_errors=True)

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)  # NGINX's fast shutdown
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def close(self) -> None:
        self.stop()
        self.echo.close()


def _wait_for(http_port: int, https_port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 10
    for port in (http_port, https_port):
        while True:
            if process.poll() is not None:
                raise AssertionError(f"nginx exited: {process.stderr.read().decode(errors='replace')}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError(f"nginx is not listening on {port}") from None
                time.sleep(0.01)
