"""The LTI tool at scale on 127.0.0.1: one Redis, one PostgreSQL, two gunicorn instances of the
tool (2 workers each) sharing them, and the test platform of tests/lti/platform.py.

Used by tests/scale and bench/lti_load.py; ``python -m tests.scale.cluster`` runs it until
Ctrl-C. Both instances answer to one public name (``PUBLIC``), as behind a load balancer; the
load client plays the balancer and picks an instance per request.
"""

from __future__ import annotations

import argparse
import glob
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from packager import api
from packager.lti.keys import generate_key
from tests.conftest import ROOT, ROOTS
from tests.lti.platform import Client, Platform

PUBLIC = "http://lti.test"
CLIENT_ID, DEPLOYMENT_ID = "tool-1", "dep-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check: Callable[[], bool], what: str, timeout: float = 60.0,
               alive: subprocess.Popen[Any] | None = None, log: Path | None = None) -> None:
    end = time.time() + timeout
    while not check():
        if alive is not None and alive.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:] if log else ""
            raise RuntimeError(f"{what} exited with {alive.returncode}:\n{tail}")
        if time.time() > end:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _as_user() -> dict[str, Any]:
    """PostgreSQL refuses to run as root: run it as nobody then (CI runs as root)."""
    return {"user": "nobody", "group": "nogroup"} if os.geteuid() == 0 else {}


class Redis:
    """redis-server in the foreground, nothing saved to disk (a restart loses everything)."""

    def __init__(self, root: Path) -> None:
        self.port = free_port()
        self.log = root / "redis.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"],
            stdout=self.log.open("ab"), stderr=subprocess.STDOUT)
        import redis

        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)

        def up() -> bool:
            try:
                return bool(client.ping())
            except redis.RedisError:
                return False
        wait_until(up, "redis-server", 20, self.proc, self.log)
        client.close()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)

    def restart(self, down: float = 1.0) -> None:
        """Stop, stay down ``down`` seconds, start again on the same port (empty)."""
        self.stop()
        time.sleep(down)
        self.start()


class Postgres:
    """A throwaway cluster: initdb into a temporary folder, postgres on a free port."""

    def __init__(self) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not found:
            raise RuntimeError("PostgreSQL is not installed (scripts/system-deps.sh --test)")
        self.bin = Path(found[-1]).parent
        # Its own folder directly under /tmp: the server's user must be able to reach it.
        self.dir = Path(tempfile.mkdtemp(prefix="packager-pg-"))
        self.port = free_port()
        self.log = self.dir / "postgres.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://packager@127.0.0.1:{self.port}/packager"

    def start(self) -> None:
        user = _as_user()
        if user:
            shutil.chown(self.dir, user["user"], user["group"])
        data = self.dir / "data"
        subprocess.run([str(self.bin / "initdb"), "-D", str(data), "-U", "packager", "-A",
                        "trust", "-E", "UTF8", "--no-sync"], check=True, cwd=self.dir,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **user)
        log = open(self.log, "ab")  # the server writes it until stop()
        self.proc = subprocess.Popen(
            [str(self.bin / "postgres"), "-D", str(data), "-p", str(self.port), "-k",
             str(self.dir), "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200",
             "-c", "shared_buffers=64MB"],
            stdout=log, stderr=subprocess.STDOUT, cwd=self.dir, **user)
        import psycopg

        def up() -> bool:
            try:
                psycopg.connect(host="127.0.0.1", port=self.port, user="packager",
                                dbname="postgres", connect_timeout=1).close()
                return True
            except psycopg.OperationalError:
                return False
        wait_until(up, "postgres", 30, self.proc, self.log)
        with psycopg.connect(host="127.0.0.1", port=self.port, user="packager",
                             dbname="postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE packager")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # fast shutdown
            self.proc.wait(timeout=30)
        shutil.rmtree(self.dir, ignore_errors=True)


class Instance:
    """One `packager.lti.flask_app:create_app()` under gunicorn, in its own process group."""

    def __init__(self, name: str, root: Path, env: dict[str, str], workers: int,
                 threads: int) -> None:
        self.name, self.env = name, env
        self.workers, self.threads = workers, threads
        self.port = free_port()
        self.log = root / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{self.port}",
             "-w", str(self.workers), "-k", "gthread", "--threads", str(self.threads),
             "--timeout", "60", "--graceful-timeout", "5", "--backlog", "1024",
             # Not the shared ~/.gunicorn/gunicorn.ctl: several instances (and tests) run at once.
             "--no-control-socket",
             "packager.lti.flask_app:create_app()"],
            env=self.env, cwd=ROOT, stdout=self.log.open("ab"), stderr=subprocess.STDOUT,
            start_new_session=True)

    def wait_up(self) -> None:
        def up() -> bool:
            try:
                return requests.get(f"{self.base}/lti/config.json", timeout=2).ok
            except requests.RequestException:
                return False
        wait_until(up, f"tool instance {self.name}", 60, self.proc, self.log)

    def kill(self) -> None:
        """kill -9 the master and its workers at once (no graceful anything)."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


class Cluster:
    """Everything a learner session touches, started in order and stopped in reverse."""

    def __init__(self, root: Path | None = None, instances: int = 2, workers: int = 2,
                 threads: int = 8, course: Path = ROOTS / "basic") -> None:
        self._own_root = root is None  # a folder we made is removed on stop
        self.root = Path(root or tempfile.mkdtemp(prefix="packager-cluster-"))
        self.root.mkdir(parents=True, exist_ok=True)
        self.course = course
        self.redis = Redis(self.root)
        self.postgres = Postgres()
        self.platform = Platform()
        self.instances: list[Instance] = []
        self._sizes = (instances, workers, threads)

    def env(self) -> dict[str, str]:
        settings = {
            "BUNDLES": self.root / "bundles", "PLATFORMS": self.root / "platforms.json",
            "KEYS": self.root / "keys", "DB": self.postgres.url, "REDIS": self.redis.url,
            "BASE_URL": PUBLIC,
            # Retries within seconds, so a test sees an outage end (production: 2 s to 10 min).
            "OUTBOX_INTERVAL": 0.2, "BACKOFF": 0.5, "BACKOFF_MAX": 4,
        }
        return dict(os.environ, **{f"PACKAGER_LTI_{k}": str(v) for k, v in settings.items()})

    def start(self) -> Cluster:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the platform's request log
        api.build(self.course, ["lti"], self.root / "bundles")
        generate_key(self.root / "keys")
        self.platform.start()
        self.redis.start()
        self.postgres.start()
        count, workers, threads = self._sizes
        env = self.env()
        self.instances = [Instance(chr(ord("a") + i), self.root, env, workers, threads)
                          for i in range(count)]
        # The platform fetches the tool's keys (for AGS tokens) from the last instance, the
        # one the fault test never kills; browsers use the public name.
        client = Client(CLIENT_ID, DEPLOYMENT_ID, [f"{PUBLIC}/lti/launch"],
                        f"{PUBLIC}/lti/login", f"{self.instances[-1].base}/.well-known/jwks.json")
        self.platform.clients[CLIENT_ID] = client
        (self.root / "platforms.json").write_text(json.dumps(
            {self.platform.issuer: [self.platform.registration_entry(client)]}, indent=1))
        for instance in self.instances:
            instance.start()
        for instance in self.instances:
            instance.wait_up()
        return self

    def stop(self) -> None:
        for instance in reversed(self.instances):
            instance.stop()
        self.postgres.stop()
        self.redis.stop()
        if self.platform.port:  # started
            self.platform.stop()
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Cluster:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    @property
    def bases(self) -> list[str]:
        return [i.base for i in self.instances]

    def logs(self) -> str:
        return "".join(f"==== {i.name}\n{i.log.read_text(errors='replace')}"
                       for i in self.instances if i.log.exists())

    def tracebacks(self) -> list[str]:
        """Tracebacks in the instances' logs (every one is a bug)."""
        text = self.logs()
        return [text[max(0, i - 200):i + 1500] for i in _find_all(text, "Traceback")]


def _find_all(text: str, word: str) -> list[int]:
    out, at = [], text.find(word)
    while at >= 0:
        out.append(at)
        at = text.find(word, at + 1)
    return out


def main(argv: list[str] | None = None) -> None:
    """Start the cluster, print its addresses, run until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, help="folder for bundles, keys and logs")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args(argv)
    with Cluster(args.root, workers=args.workers, threads=args.threads) as cluster:
        print(f"redis       {cluster.redis.url}")
        print(f"postgresql  {cluster.postgres.url}")
        for instance in cluster.instances:
            print(f"instance {instance.name}  {instance.base}  (log {instance.log})")
        print(f"platform    {cluster.platform.base}  (issuer {cluster.platform.issuer})")
        print(f"public name {PUBLIC}: map it to an instance, e.g. curl --connect-to "
              f"lti.test:80:127.0.0.1:{cluster.instances[0].port}")
        print("Ctrl-C stops everything.", flush=True)
        try:
            signal.pause()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
