"""The production web server's configuration, exactly as README.md gives it: nginx checks it (`nginx -t`), then
serves the built site and proxies /app/ to the service, on loopback over HTTPS with a certificate made here.

The site must be sent the same security headers as the service (form_service/core/security.py), each once.
A missing nginx fails the test run, as a missing Chromium does: `make webserver` installs it.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from form_service import create_app
from form_service.config import ProductionConfig
from form_service.core.security import security_headers
from form_service.site_files import site_and_service
from tests.browser import build_site, free_port, live_server

REPO_ROOT = Path(__file__).resolve().parent.parent
HOST = "quality-mark.example.org"


def program(name: str) -> str:
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    if not path:
        pytest.fail(f"{name} is not installed: run `make webserver` (make test does it for you).")
    return path


def readme_nginx_config() -> str:
    """The one ```nginx block of README.md."""
    blocks = re.findall(r"```nginx\n(.*?)```", (REPO_ROOT / "README.md").read_text(encoding="utf-8"), re.DOTALL)
    assert len(blocks) == 1, f"README.md should have one nginx configuration block, not {len(blocks)}"
    return blocks[0]


def replace_once(text: str, old: str, new: str) -> str:
    """Change what a reader of README.md changes for their own server; the text must be there exactly once."""
    assert text.count(old) == 1, f"expected {old!r} once in README.md's nginx configuration"
    return text.replace(old, new)


def on_loopback(config: str, site: Path, service: str, ports: tuple[int, int], certificate: tuple[Path, Path]) -> str:
    """README's configuration with this machine's ports, certificate, site folder and service address."""
    http_port, https_port = ports
    config = replace_once(config, "    listen 80;\n", f"    listen 127.0.0.1:{http_port};\n")
    config = replace_once(config, "    listen [::]:80;\n", "")
    config = replace_once(config, "    listen 443 ssl;\n", f"    listen 127.0.0.1:{https_port} ssl;\n")
    config = replace_once(config, "    listen [::]:443 ssl;\n", "")
    config = replace_once(config, f"/etc/letsencrypt/live/{HOST}/fullchain.pem", str(certificate[0]))
    config = replace_once(config, f"/etc/letsencrypt/live/{HOST}/privkey.pem", str(certificate[1]))
    config = replace_once(config, "root /srv/quality-mark/build/site;", f"root {site};")
    return replace_once(config, "proxy_pass http://127.0.0.1:8000;", f"proxy_pass {service};")


def main_config(folder: Path, server_config: Path) -> Path:
    """An nginx.conf of its own (pid, logs and temporary files in `folder`) that includes the server blocks,
    as Debian's /etc/nginx/nginx.conf includes sites-enabled/."""
    temporary = "\n".join(
        f"    {kind}_temp_path {folder / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    path = folder / "nginx.conf"
    path.write_text(
        # Tests run as root: workers read the site from a temporary folder only root may open.
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"pid {folder / 'nginx.pid'};\nerror_log {folder / 'error.log'};\nevents {{}}\n"
        + "http {\n    include /etc/nginx/mime.types;\n    default_type application/octet-stream;\n"
        + f"    access_log off;\n{temporary}\n    include {server_config};\n}}\n"
    )
    return path


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    certificate, key = folder / "certificate.pem", folder / "key.pem"
    request = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={HOST}"]
    subprocess.run(
        [program("openssl"), *request, "-keyout", str(key), "-out", str(certificate)],
        check=True,
        capture_output=True,
    )
    return certificate, key


def nginx_command(config: Path) -> list[str]:
    return [program("nginx"), "-p", str(config.parent), "-e", str(config.parent / "error.log"), "-c", str(config)]


def wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    for _ in range(100):
        if process.poll() is not None:
            pytest.fail(f"nginx stopped: {process.stderr.read().decode() if process.stderr else ''}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"nginx did not listen on port {port}")


@dataclass
class WebServer:
    """nginx running README's configuration: `site` is the built site it serves."""

    site: Path
    http_port: int
    https_port: int
    checked: subprocess.CompletedProcess[str]

    def get(self, path: str, https: bool = True) -> http.client.HTTPResponse:
        """A request as a browser sends it to https://quality-mark.example.org (the certificate is made here)."""
        if https:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            connection: http.client.HTTPConnection = http.client.HTTPSConnection(
                "127.0.0.1", self.https_port, context=context, timeout=10
            )
        else:
            connection = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=10)
        connection.request("GET", path, headers={"Host": HOST})
        response = connection.getresponse()
        response.body = response.read()  # type: ignore[attr-defined]
        connection.close()
        return response


@pytest.fixture(scope="module")
def web_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    folder = tmp_path_factory.mktemp("nginx")
    site = build_site(tmp_path_factory.mktemp("site-build"))
    app = create_app(
        ProductionConfig,
        {
            "SECRET_KEY": "a-long-random-production-secret-for-tests-only-0123456789",
            "TRUSTED_HOSTS": [HOST],
            "TRUSTED_PROXIES": 1,
            "SERVICE_URL": f"https://{HOST}/app",
            "DATA_DIR": tmp_path_factory.mktemp("data"),
            "CONTENT_ROOT": REPO_ROOT,
            "SITE_DIR": site,
        },
    )
    ports = (free_port(), free_port())
    with live_server(site_and_service(app, site)) as service:
        server_config = folder / "quality-mark.conf"
        server_config.write_text(
            on_loopback(readme_nginx_config(), site, service, ports, self_signed_certificate(folder))
        )
        config = main_config(folder, server_config)
        checked = subprocess.run([*nginx_command(config), "-t"], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
        process = subprocess.Popen([*nginx_command(config), "-g", "daemon off;"], stderr=subprocess.PIPE)
        try:
            wait_for_port(ports[1], process)
            yield WebServer(site, *ports, checked)
        finally:
            process.terminate()
            process.wait(timeout=10)


def test_nginx_accepts_the_configuration_in_the_readme(web_server: WebServer) -> None:
    assert "syntax is ok" in web_server.checked.stderr
    assert "test is successful" in web_server.checked.stderr


@pytest.mark.parametrize(
    ("path", "status"),
    [("/", 200), ("/stages/", 200), ("/stages", 301), ("/javascripts/theme-storage.js", 200), ("/no/such/page", 404)],
)
def test_the_site_is_sent_the_services_security_headers_once(web_server: WebServer, path: str, status: int) -> None:
    response = web_server.get(path)

    assert response.status == status
    for name, value in security_headers(over_https=True).items():
        assert response.headers.get_all(name) == [value], name


def test_the_site_s_pages_and_its_404_page_are_served_as_built(web_server: WebServer) -> None:
    home = web_server.get("/")
    folder = web_server.get("/stages")
    missing = web_server.get("/no/such/page")

    assert home.body == (web_server.site / "index.html").read_bytes()  # type: ignore[attr-defined]
    assert home.headers["Content-Type"] == "text/html"
    assert folder.headers["Location"] == "/stages/"
    assert missing.body == (web_server.site / "404.html").read_bytes()  # type: ignore[attr-defined]


def test_the_service_is_reached_under_app_and_sends_its_own_headers_once(web_server: WebServer) -> None:
    sign_in = web_server.get("/app/sign-in")
    health = web_server.get("/app/healthz")

    assert sign_in.status == 200
    assert 'action="/app/sign-in"' in sign_in.body.decode()  # type: ignore[attr-defined]
    for name, value in security_headers(over_https=True).items():
        assert sign_in.headers.get_all(name) == [value], name
    assert sign_in.headers.get_all("Cache-Control") == ["no-store"]
    cookie = sign_in.headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=") and "Secure" in cookie
    assert health.status == 200
    assert json.loads(health.body)["status"] == "ok"  # type: ignore[attr-defined]


def test_plain_http_is_sent_to_https(web_server: WebServer) -> None:
    response = web_server.get("/stages/", https=False)

    assert response.status == 301
    assert response.headers["Location"] == f"https://{HOST}/stages/"
