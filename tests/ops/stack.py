"""The production stack's pieces run on this machine without Docker: docker-compose.yml's
environment as Compose interpolates it from a .env, the image's commands, Gunicorn with
gunicorn.conf.py, and the repository's nginx.conf in a real nginx (Debian's), with a small
DNS server standing in for Docker's. Used by test_compose.py, test_production_server.py and
test_nginx.py."""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import socket
import socketserver
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
# What a child process may inherit from the test run; the rest of its environment is stated.
INHERITED = {"PATH", "LANG", "LC_ALL", "SYSTEMROOT"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    cookies: dict[str, str] = field(default_factory=dict)


def request(
    port: int,
    path: str,
    *,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
    source: str | None = None,
) -> Response:
    """One HTTP/1.1 request to 127.0.0.1:port, from the loopback address `source` if given."""
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=15, source_address=(source, 0) if source else None
    )
    try:
        connection.request(method, path, body=body, headers=dict(headers or {}))
        response = connection.getresponse()
        cookies = {}
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                cookie_name, _, rest = value.partition("=")
                cookies[cookie_name] = rest
        return Response(
            response.status, {k.lower(): v for k, v in response.getheaders()}, response.read(), cookies
        )
    finally:
        connection.close()


def raw_request(port: int, data: bytes) -> Response:
    """Sends bytes as they are (a malformed request) and parses the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
        sock.sendall(data)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Response(int(status_line.split()[1]), headers, body)


# --- docker-compose.yml and .env -------------------------------------------------------------


def compose() -> dict:
    return yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())


def read_dotenv(text: str) -> dict[str, str]:
    """The active NAME=value lines of a .env, single quotes removed as Compose does."""
    values = {}
    for line in text.splitlines():
        if match := re.match(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", line):
            value = match[2]
            if len(value) >= 2 and value[0] == value[-1] == "'":
                value = value[1:-1]
            values[match[1]] = value
    return values


class MissingVariableError(Exception):
    """A `${NAME:?message}` whose variable is unset or empty: Compose stops with `message`."""


def interpolate(value: str, variables: Mapping[str, str]) -> str:
    """Compose's interpolation of `${NAME}`, `${NAME:-default}` and `${NAME:?message}`."""

    def substitute(match: re.Match) -> str:
        if match[0] == "$$":
            return "$"
        name, operator, argument = match["name"], match["op"], match["arg"]
        current = variables.get(name, "")
        if operator == ":?" and not current:
            raise MissingVariableError(argument)
        if operator == ":-" and not current:
            return argument
        return current

    return re.sub(
        r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:[-?])(?P<arg>[^}]*))?\}", substitute, value
    )


def service_environment(service: str, dotenv: Mapping[str, str]) -> dict[str, str]:
    """The environment `docker compose up` gives a service's container, for a project .env
    holding `dotenv`: the env_file's values, then `environment:` interpolated (it wins)."""
    definition = compose()["services"][service]
    environment = dict(dotenv) if definition.get("env_file") == ".env" else {}
    for name, value in definition.get("environment", {}).items():
        environment[name] = interpolate(str(value), dotenv)
    return environment


def process_environment(**values: str) -> dict[str, str]:
    """A child's environment: PATH and the like from this run, its own python first, then `values`."""
    environment = {k: v for k, v in os.environ.items() if k in INHERITED}
    environment["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environment.get('PATH', '')}"
    environment["PYTHONWARNINGS"] = "ignore"
    environment.update(values)
    return environment


def run(command: list[str], env: Mapping[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    result = subprocess.run(
        command, cwd=BASE_DIR, env=dict(env), capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, f"{command}: {result.stdout}\n{result.stderr}"
    return result


# collectstatic with brotli hidden. WhiteNoise writes a brotli (.br) copy of every file beside
# the gzip one whenever brotli can be imported: the image cannot import it (the Dockerfile
# installs requirements.txt, which has no brotli), the dev venv can (locust brings it). There
# those copies took 40 s of CPU where gzip alone takes 3, over two minutes on a loaded
# machine. Hidden, the tests collect what the image collects, in the time it takes there.
_COLLECTSTATIC_AS_THE_IMAGE = (
    "import runpy, sys; sys.modules['brotli'] = None; "
    "sys.argv = ['manage.py', 'collectstatic', '--noinput', '--verbosity', '0']; "
    "runpy.run_path('manage.py', run_name='__main__')"
)


def collect_static(root: Path) -> None:
    """Static files into `root` as the Dockerfile's build collects them: production settings
    with a key that exists for that command only (test_dockerfile.py holds the Dockerfile to
    that), and gzip copies only."""
    env = process_environment(
        DJANGO_ENV="production",
        SECRET_KEY="collectstatic-build-only",
        ALLOWED_HOSTS="build.invalid",
        STATIC_ROOT=str(root),
        HOME=str(root.parent),
    )
    # A bound on a hung command, not a measure of speed: a few seconds on a quiet machine.
    run([sys.executable, "-c", _COLLECTSTATIC_AS_THE_IMAGE], env, timeout=600)
    assert (root / "staticfiles.json").is_file()
    assert not any(root.rglob("*.br")), "brotli was imported: the image could not have"


# --- servers ---------------------------------------------------------------------------------


def wait_until(check, what: str, process: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except OSError:
            pass
        assert process.poll() is None, f"{what} exited:\n{log.read_text()}"
        assert time.monotonic() < deadline, f"{what} did not come up:\n{log.read_text()}"
        time.sleep(0.1)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def gunicorn(env: Mapping[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """compose's web command (the image's CMD) with `env`; up once /healthz answers."""
    command = compose()["services"]["web"]["command"]
    assert command[0] == "gunicorn"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", *command],
            cwd=BASE_DIR,
            env=dict(env),
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        port = int(env["PORT"])
        wait_until(lambda: request(port, "/healthz").status == 200, "Gunicorn", process, log)
        yield process
    finally:
        stop(process)


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (path for path in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(path, os.X_OK)), None
    )


def render_nginx_conf(
    directory: Path, *, port: int, web_port: int, dns_port: int, front_proxies: tuple[str, ...] = ()
) -> str:
    """nginx.conf as docker-compose.yml runs it, moved onto this machine: its own port,
    files under `directory`, `web` resolved by the test DNS server (and re-asked after 1 s
    instead of 5), and `front_proxies` listed as an operator lists a proxy in front."""
    text = (BASE_DIR / "nginx.conf").read_text()
    replacements = {
        "pid /tmp/nginx.pid;": f"pid {directory}/nginx.pid;",
        "/tmp/nginx-static-cache": f"{directory}/static-cache",
        "listen 80 default_server;": f"listen 127.0.0.1:{port} default_server;",
        "resolver 127.0.0.11 valid=5s": f"resolver 127.0.0.1:{dns_port} valid=1s",
        "http://web:8000": f"http://web:{web_port}",
        "        default 0;\n": "        default 0;\n"
        + "".join(f"        {ip} 1;\n" for ip in front_proxies),
        "http {\n": "http {\n"
        + "".join(
            f"    {kind}_temp_path {directory}/{kind};\n"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        ),
    }
    for old, new in replacements.items():
        assert text.count(old) == 1, f"nginx.conf no longer has exactly one {old!r}"
        text = text.replace(old, new)
    if os.geteuid() == 0:
        # Workers would otherwise run as nobody, who cannot write under the test's directory.
        text = "user root root;\n" + text
    return text


@contextmanager
def nginx(directory: Path, **render) -> Iterator[dict]:
    """A real nginx with the rendered nginx.conf, in the foreground; yields its port and log."""
    binary = nginx_binary()
    assert binary, "nginx is not installed (.ci/run installs it: apt-get install nginx-light)"
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    conf = directory / "nginx.conf"
    conf.write_text(render_nginx_conf(directory, port=port, **render))
    log = directory / "nginx.log"
    command = [binary, "-p", str(directory), "-c", str(conf), "-e", str(directory / "error.log")]
    check = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stderr
    with log.open("w") as output:
        process = subprocess.Popen(
            [*command, "-g", "daemon off;"], stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_until(lambda: request(port, "/nginx-health").status == 200, "nginx", process, log)
        yield {"port": port, "log": log, "process": process}
    finally:
        stop(process)


class FakeDNS(socketserver.ThreadingUDPServer):
    """Answers A queries for names in `records` (name -> IPv4), NXDOMAIN for the rest, with
    a TTL of 0; stands in for Docker's embedded DNS. Change `records` to move a name."""

    daemon_threads = True

    def __init__(self, records: dict[str, str]) -> None:
        self.records = records
        super().__init__(("127.0.0.1", 0), _DNSHandler)

    @property
    def port(self) -> int:
        return self.server_address[1]


class _DNSHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        query, sock = self.request
        labels, offset = [], 12
        while length := query[offset]:
            labels.append(query[offset + 1 : offset + 1 + length].decode().lower())
            offset += 1 + length
        qtype = struct.unpack("!H", query[offset + 1 : offset + 3])[0]
        question = query[12 : offset + 5]
        address = self.server.records.get(".".join(labels))
        answers = b""
        if address and qtype == 1:
            answers = struct.pack("!HHHIH", 0xC00C, 1, 1, 0, 4) + socket.inet_aton(address)
        flags = 0x8180 if address else 0x8183
        header = struct.pack(
            "!HHHHHH", struct.unpack("!H", query[:2])[0], flags, 1, 1 if answers else 0, 0, 0
        )
        sock.sendto(header + question + answers, self.client_address)


@contextmanager
def serving(server: socketserver.BaseServer) -> Iterator[None]:
    """Serves `server` from a thread until the block ends, then closes it."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def fake_dns(records: dict[str, str]) -> Iterator[FakeDNS]:
    server = FakeDNS(records)
    with serving(server):
        yield server
