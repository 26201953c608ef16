"""A real S3 server for the tests: OpenStack Swift with its s3api middleware (Debian's packages).

`SwiftServer.start(folder)` writes a one-node Swift (account, container and object servers,
a proxy with `s3api` and `tempauth`, and a private memcached) into `folder`, on free ports
of 127.0.0.1, and waits until the S3 API answers; `stop()` ends every process it started.
Nothing outside `folder` is touched except /etc/swift/swift.conf, which Swift always reads
(the hash suffix; installed by the package). One server serves the whole test session;
each test gets a bucket of its own (`new_bucket`). The fault tests may `pause()` the proxy
(SIGSTOP) to cut the object store off mid-upload and `resume()` it, or `kill_proxy()` it
(SIGKILL) and `start_proxy()` it again on the same port.

Needs `apt-get install swift swift-proxy swift-object swift-container swift-account
memcached` (`make test-deps`).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import textwrap
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ACCESS_KEY = "test:tester"  # tempauth's account:user, which s3api takes as the access key
SECRET_KEY = "testing"
REGION = "us-east-1"
SWIFT_BINARIES = ("swift-proxy-server", "swift-object-server", "swift-container-server",
                  "swift-account-server", "swift-ring-builder", "memcached")


def swift_installed() -> bool:
    return all(shutil.which(b) or Path(f"/usr/bin/{b}").exists() for b in SWIFT_BINARIES)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _server_conf(swift_dir: Path, devices: Path, port: int, kind: str) -> str:
    return textwrap.dedent(f"""\
        [DEFAULT]
        bind_ip = 127.0.0.1
        bind_port = {port}
        workers = 0
        devices = {devices}
        mount_check = false
        disable_fallocate = true
        swift_dir = {swift_dir}
        log_level = WARNING

        [pipeline:main]
        pipeline = {kind}-server

        [app:{kind}-server]
        use = egg:swift#{kind}

        [{kind}-replicator]
        [{kind}-auditor]
        [{kind}-updater]
        """)


def _proxy_conf(swift_dir: Path, port: int, memcached_port: int) -> str:
    return textwrap.dedent(f"""\
        [DEFAULT]
        bind_ip = 127.0.0.1
        bind_port = {port}
        workers = 0
        swift_dir = {swift_dir}
        log_level = WARNING

        [pipeline:main]
        pipeline = catch_errors gatekeeper proxy-logging cache listing_formats s3api tempauth copy slo dlo proxy-logging proxy-server

        [app:proxy-server]
        use = egg:swift#proxy
        account_autocreate = true

        [filter:catch_errors]
        use = egg:swift#catch_errors

        [filter:gatekeeper]
        use = egg:swift#gatekeeper

        [filter:listing_formats]
        use = egg:swift#listing_formats

        [filter:copy]
        use = egg:swift#copy

        [filter:slo]
        use = egg:swift#slo

        [filter:dlo]
        use = egg:swift#dlo

        [filter:proxy-logging]
        use = egg:swift#proxy_logging

        [filter:cache]
        use = egg:swift#memcache
        memcache_servers = 127.0.0.1:{memcached_port}

        [filter:s3api]
        use = egg:swift#s3api
        location = {REGION}
        s3_acl = false
        check_bucket_owner = false

        [filter:tempauth]
        use = egg:swift#tempauth
        user_test_tester = {SECRET_KEY} .admin
        """)


@dataclass
class SwiftServer:
    folder: Path
    port: int = 0
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    def start(cls, folder: Path) -> SwiftServer:
        folder.mkdir(parents=True, exist_ok=True)
        server = cls(folder)
        try:
            server._start()
        except BaseException:
            server.stop()
            raise
        return server

    def _start(self) -> None:
        swift_dir, devices = self.folder / "etc", self.folder / "srv"
        (devices / "d1").mkdir(parents=True, exist_ok=True)
        swift_dir.mkdir(exist_ok=True)
        ports = {kind: _free_port() for kind in ("account", "container", "object")}
        self.port, memcached_port = _free_port(), _free_port()
        for kind, port in ports.items():
            builder = str(swift_dir / f"{kind}.builder")
            # Part power 4, one replica, one device: a ring made in milliseconds.
            for args in (["create", "4", "1", "1"], ["add", f"r1z1-127.0.0.1:{port}/d1", "1"], ["rebalance"]):
                subprocess.run(["swift-ring-builder", builder, *args], check=False, capture_output=True)
            if not (swift_dir / f"{kind}.ring.gz").exists():
                raise RuntimeError(f"swift-ring-builder made no {kind} ring")
            conf = swift_dir / f"{kind}-server.conf"
            conf.write_text(_server_conf(swift_dir, devices, port, kind))
            self._spawn(kind, [f"swift-{kind}-server", str(conf)])
        self._spawn("memcached", ["memcached", "-l", "127.0.0.1", "-p", str(memcached_port), "-U", "0", "-m", "16",
                                  *(["-u", "root"] if os.geteuid() == 0 else [])])
        proxy = swift_dir / "proxy-server.conf"
        proxy.write_text(_proxy_conf(swift_dir, self.port, memcached_port))
        self._spawn("proxy", ["swift-proxy-server", str(proxy)])
        self._wait_ready(ports)

    def _spawn(self, name: str, argv: list[str]) -> None:
        log = open(self.folder / f"{name}.log", "ab")  # noqa: SIM115 - kept open for the process
        self.processes[name] = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def _wait_ready(self, ports: dict[str, int], timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, proc in self.processes.items():
                if proc.poll() is not None:
                    log = (self.folder / f"{name}.log").read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"swift {name} exited ({proc.returncode}):\n{log}")
            try:
                # Any HTTP answer from the proxy, and every backend listening: all up.
                httpx.get(f"{self.endpoint}/", timeout=2)
                if all(self._listening(p) for p in ports.values()):
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"swift did not answer on {self.endpoint} within {timeout} s")

    @staticmethod
    def _listening(port: int) -> bool:
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", port)) == 0

    def pause(self) -> None:
        """Freeze the proxy: requests to the object store hang, as over a cut link."""
        os.kill(self.processes["proxy"].pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.processes["proxy"].pid, signal.SIGCONT)

    def kill_proxy(self) -> None:
        """SIGKILL the proxy: the S3 API is gone (connections reset, then refused)."""
        proc = self.processes.pop("proxy")
        os.killpg(proc.pid, signal.SIGCONT)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)

    def start_proxy(self, timeout: float = 30) -> None:
        """Start the proxy again on its port, with the same data behind it."""
        self._spawn("proxy", ["swift-proxy-server", str(self.folder / "etc" / "proxy-server.conf")])
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.processes["proxy"].poll() is not None:
                raise RuntimeError(f"swift proxy exited: {(self.folder / 'proxy.log').read_text()[-2000:]}")
            try:
                httpx.get(f"{self.endpoint}/", timeout=2)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"swift proxy did not come back on {self.endpoint}")

    def new_bucket(self) -> str:
        """A fresh, empty bucket (created through the S3 API itself)."""
        name = f"t{uuid.uuid4().hex[:20]}"
        _create_bucket(self.endpoint, name)
        return name

    def media_environment(self, bucket: str) -> dict[str, str]:
        """The app's MEDIA_* settings for `bucket` on this server (MEDIA_STORE=s3)."""
        return {
            "MEDIA_STORE": "s3", "MEDIA_S3_BUCKET": bucket, "MEDIA_S3_ENDPOINT": self.endpoint,
            "MEDIA_S3_REGION": REGION, "MEDIA_S3_ACCESS_KEY_ID": ACCESS_KEY, "MEDIA_S3_SECRET_ACCESS_KEY": SECRET_KEY,
            "MEDIA_S3_TIMEOUT_S": "5",
        }

    def store_options(self) -> dict[str, object]:
        return {
            "endpoint": self.endpoint, "access_key_id": ACCESS_KEY, "secret_access_key": SECRET_KEY,
            "region": REGION, "virtual_hosted_style_request": False, "client_options": {"allow_http": True},
        }

    def stop(self) -> None:
        for proc in self.processes.values():
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGCONT)
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        for proc in self.processes.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.processes.clear()


def _create_bucket(endpoint: str, name: str) -> None:
    """PUT /<bucket>, signed with AWS SigV4 (botocore's signer is not a dependency: sign here)."""
    import datetime as dt
    import hashlib
    import hmac

    now = dt.datetime.now(dt.UTC)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    host = endpoint.split("://", 1)[1]
    payload = hashlib.sha256(b"").hexdigest()
    headers = {"host": host, "x-amz-content-sha256": payload, "x-amz-date": amz_date}
    signed = ";".join(sorted(headers))
    canonical = "\n".join(["PUT", f"/{name}", "", *(f"{k}:{headers[k]}" for k in sorted(headers)), "", signed, payload])
    scope = f"{day}/{REGION}/s3/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = f"AWS4{SECRET_KEY}".encode()
    for part in (day, REGION, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    auth = f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/{scope}, SignedHeaders={signed}, Signature={signature}"
    answer = httpx.put(f"{endpoint}/{name}", headers={**headers, "Authorization": auth}, timeout=10)
    if answer.status_code not in (200, 409):
        raise RuntimeError(f"create bucket {name}: HTTP {answer.status_code} {answer.text[:300]}")
