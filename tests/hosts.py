"""The production server in tests: gunicorn subprocesses on loopback ports, and a browser-like HTTP client.

`Host` starts `gunicorn form_service.wsgi:application` (as `make run` does: --preload, 2 workers) with its own
DATA_DIR and the environment it is given, waits for /app/healthz, and stops it (gracefully, then SIGKILL to
the process group it started). `Browser` is a `requests.Session` that reads CSRF tokens from pages and signs
in the way a person does: the emailed link is read from the outbox of the host that sent it.
"""

from __future__ import annotations

import contextlib
import email
import os
import re
import signal
import socket
import subprocess
import sys
import time
from email import policy
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
GUNICORN = BIN / "gunicorn"
FLASK = BIN / "flask"
TIMEOUT = (5, 30)  # connect, read (seconds)
HIDDEN = re.compile(r'<input[^>]*name="(csrf_token|token)"[^>]*value="([^"]*)"')
AUTOSAVE_CSRF = re.compile(r'data-qm-autosave[^>]*data-csrf="([^"]+)"')
REVISION = re.compile(r'data-criterion="([^"]+)" data-revision="(\d+)"')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def service_environment(data_dir: Path, site_dir: Path, **settings: str) -> dict[str, str]:
    """The environment of a service process on `data_dir` (development settings: plain HTTP on loopback)."""
    environment = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "QM_NOW")}
    return environment | {
        "QM_ENV": "development",
        "DATA_DIR": str(data_dir),
        "SITE_DIR": str(site_dir),
        "CONTENT_ROOT": str(ROOT),
        "TRUSTED_HOSTS": "127.0.0.1",
        **settings,
    }


def flask_command(environment: dict[str, str], *arguments: str) -> str:
    """Run `flask --app form_service ARGUMENTS` with `environment`; its output, or AssertionError if it failed."""
    completed = subprocess.run(
        [str(FLASK), "--app", "form_service", *arguments],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, f"flask {' '.join(arguments)} failed:\n{completed.stdout}\n{completed.stderr}"
    return completed.stdout


class Host:
    """One gunicorn server (master and `workers` workers) on a free loopback port."""

    def __init__(self, folder: Path, workers: int = 2, threads: int = 4, **settings: str) -> None:
        self.folder = folder
        self.data_dir = folder / "data"
        self.site_dir = folder / "site"
        self.site_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.workers, self.threads = workers, threads
        self.environment = service_environment(self.data_dir, self.site_dir, SERVICE_URL=f"{self.base}/app", **settings)
        self.log = folder / "server.log"
        self.process: subprocess.Popen | None = None
        self.starts = 0

    @property
    def outbox(self) -> Path:
        return self.data_dir / "outbox"

    def start(self, limit: float = 45) -> None:
        """Start the server and wait until /app/healthz answers 200 (AssertionError, with its log, if not)."""
        command = [
            str(GUNICORN),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--threads",
            str(self.threads),
            "--preload",
            "--graceful-timeout",
            "5",
            "form_service.wsgi:application",
        ]
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.environment, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.starts += 1
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"the server stopped while starting:\n{self.tail()}"
            try:
                if requests.get(f"{self.base}/app/healthz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise AssertionError(f"the server did not answer /app/healthz within {limit:.0f} s:\n{self.tail()}")

    def tail(self, characters: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-characters:] if self.log.exists() else ""

    def worker_pids(self) -> list[int]:
        """The master's children (its workers) right now, from /proc."""
        assert self.process is not None
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue  # gone meanwhile
            if int(fields[1]) == self.process.pid:  # the parent's pid follows the state
                found.append(int(stat.parent.name))
        return found

    def kill_master(self) -> None:
        """kill -9 the master, then its workers (which a real machine's process supervisor would also lose)."""
        assert self.process is not None
        workers = self.worker_pids()
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        for pid in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self._wait_for_port_free()

    def _wait_for_port_free(self, limit: float = 10) -> None:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) != 0:
                    return
            time.sleep(0.05)

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()  # gunicorn's master stops its workers gracefully on SIGTERM
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the session started for this server, nothing else
            process.wait(timeout=10)


def hidden_fields(page: str) -> dict[str, str]:
    return dict(HIDDEN.findall(page))


def link_from_outbox(outbox: Path, address: str, after: set[Path], limit: float = 10) -> str:
    """The sign-in link in the newest email to `address` in `outbox` that is not one of `after`."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        for path in sorted(set(outbox.glob("*.eml")) - after, reverse=True) if outbox.exists() else []:
            message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
            if message["To"] == address:
                found = re.search(r"https?://\S+/app/sign-in/continue\?token=\S+", message.get_content())
                assert found, f"no sign-in link in the email to {address}:\n{message.get_content()}"
                return found.group(0)
        time.sleep(0.05)
    raise AssertionError(f"no new sign-in email to {address} in {outbox}")


class Browser:
    """A person's browser: one cookie jar, used against any host."""

    def __init__(self) -> None:
        self.http = requests.Session()

    def get(self, url: str, **kwargs: object) -> requests.Response:
        return self.http.get(url, timeout=TIMEOUT, **kwargs)

    def put(self, url: str, **kwargs: object) -> requests.Response:
        return self.http.put(url, timeout=TIMEOUT, **kwargs)

    def post(self, url: str, **kwargs: object) -> requests.Response:
        return self.http.post(url, timeout=TIMEOUT, allow_redirects=False, **kwargs)

    def csrf(self, url: str) -> str:
        page = self.get(url)
        assert page.status_code == 200, (url, page.status_code, page.text[:500])
        return hidden_fields(page.text)["csrf_token"]

    def ask_for_link(self, host: Host, address: str) -> requests.Response:
        """Fill in the sign-in page on `host` with `address` and send it."""
        token = self.csrf(f"{host.base}/app/sign-in")
        return self.post(f"{host.base}/app/sign-in", data={"email": address, "csrf_token": token})

    def sign_in(self, host: Host, address: str) -> None:
        """Sign in on `host` as a person does: the emailed link (from that host's outbox), then Continue."""
        before = set(host.outbox.glob("*.eml")) if host.outbox.exists() else set()
        response = self.ask_for_link(host, address)
        assert response.status_code == 302, (response.status_code, response.text[:500])
        link = urlsplit(link_from_outbox(host.outbox, address, before))
        page = self.get(f"{host.base}{link.path}?{link.query}")
        assert page.status_code == 200, (page.status_code, page.text[:500])
        response = self.post(f"{host.base}/app/sign-in/continue", data=hidden_fields(page.text))
        assert response.status_code == 302, (response.status_code, response.text[:500])


def heading_page(browser: Browser, host: Host, urn: str) -> tuple[str, str, dict[str, int]]:
    """Open the self-evaluation's first heading on `host` (starting the self-evaluation if it has not been):
    its address, the autosave CSRF token and every criterion's revision, as the form's script reads them."""
    overview = f"{host.base}/app/school/{urn}/self-evaluation/"
    page = browser.get(overview)
    assert page.status_code == 200, page.text[:500]
    if "/self-evaluation/start" in page.text:
        started = browser.post(f"{overview}start", data=hidden_fields(page.text))
        assert started.status_code == 302, started.text[:500]
        page = browser.get(urljoin(overview, started.headers["Location"]))
    else:
        first = re.search(rf'href="(/app/school/{urn}/self-evaluation/[a-z0-9-]+)"', page.text)
        assert first, page.text[:2000]
        page = browser.get(host.base + first.group(1))
    assert page.status_code == 200, page.text[:500]
    token = AUTOSAVE_CSRF.search(page.text)
    assert token, page.text[:2000]
    return page.url, token.group(1), {cid: int(rev) for cid, rev in REVISION.findall(page.text)}


def put_answer(
    browser: Browser, host: Host, urn: str, criterion: str, token: str, revision: int, text: str
) -> requests.Response:
    """PUT one answer through the JSON API on `host`, as the form's autosave does."""
    return browser.put(
        f"{host.base}/app/api/schools/{urn}/self-evaluation/answers/{criterion}",
        json={"rating": 3, "commentary": text, "evidence": ["Provision map"], "base_revision": revision},
        headers={"X-CSRFToken": token},
    )


def autosave(browser: Browser, host: Host, urn: str, criterion: str, token: str, revision: int, text: str) -> int:
    """One autosave that must succeed; the answer's new revision."""
    response = put_answer(browser, host, urn, criterion, token, revision, text)
    assert response.status_code == 200, response.text[:500]
    return response.json()["answer"]["revision"]
