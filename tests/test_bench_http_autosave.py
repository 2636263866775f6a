"""bench/http_autosave.py sends a request again, once, when the server drops the kept-alive connection it went
out on, as a browser does: gunicorn closes idle keep-alive connections after 2 s, and a request sent just as it
does so fails on the client with a connection error that is not the server's fault.

A real HTTP server on a loopback socket answers the first request on a connection with keep-alive, then closes
that connection when the next request arrives on it, without answering (what the client sees of the race);
every new connection is answered.
"""

from __future__ import annotations

import importlib.util
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
import requests

BENCH = Path(__file__).resolve().parent.parent / "bench" / "http_autosave.py"
ANSWER = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\nConnection: keep-alive\r\n\r\n"
    b'{"ok":true}'
)


def load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("http_autosave_bench", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def read_request(connection: socket.socket) -> bytes:
    """One request's head and body (the body's length from Content-Length), or b"" if the client closed."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            return b""
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        (int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), 0
    )
    while len(body) < length:
        body += connection.recv(65536)
    return data


def serve(listener: socket.socket, served: list[str]) -> None:
    while True:
        try:
            connection, _ = listener.accept()
        except OSError:
            return  # the listener was closed: the test is over
        with connection:
            if read_request(connection):
                served.append("answered")  # before the answer goes out, so the client never sees it first
                connection.sendall(ANSWER)
            if read_request(connection):  # the next request on the kept-alive connection: dropped unanswered
                served.append("dropped")


@pytest.fixture
def dropping_server() -> Iterator[tuple[str, list[str]]]:
    listener = socket.create_server(("127.0.0.1", 0))
    served: list[str] = []
    thread = threading.Thread(target=serve, args=(listener, served), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}", served
    listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() waiting in the thread
    listener.close()
    thread.join(timeout=5)


def test_the_bench_sends_a_request_again_when_its_kept_alive_connection_is_dropped(
    dropping_server: tuple[str, list[str]],
) -> None:
    base, served = dropping_server
    bench = load_bench()
    http = requests.Session()
    first, again = bench.send(http, "PUT", f"{base}/app/api/answer", json={"rating": 3})
    assert (first.status_code, again) == (200, False)
    second, again = bench.send(http, "PUT", f"{base}/app/api/answer", json={"rating": 4})
    assert (second.status_code, second.json(), again) == (200, {"ok": True}, True)
    assert served == ["answered", "dropped", "answered"]


def test_without_sending_again_the_dropped_connection_is_an_error(dropping_server: tuple[str, list[str]]) -> None:
    """What the bench met before it sent requests again (and what makes the test above mean something)."""
    base, _served = dropping_server
    http = requests.Session()
    assert http.put(f"{base}/app/api/answer", json={"rating": 3}, timeout=5).status_code == 200
    with pytest.raises(requests.ConnectionError):
        http.put(f"{base}/app/api/answer", json={"rating": 4}, timeout=5)
