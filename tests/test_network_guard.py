"""The test suite runs offline: pytest-socket (configured in pyproject.toml) blocks every
connection except to 127.0.0.1, where the in-process reference server listens."""

from __future__ import annotations

import socket

import httpx2
import pytest
from pytest_socket import SocketBlockedError, SocketConnectBlockedError

BLOCKED = (SocketBlockedError, SocketConnectBlockedError)
pytestmark = pytest.mark.filterwarnings("ignore:A test tried to use socket")


def test_outside_connection_is_blocked():
    with pytest.raises(BLOCKED):
        socket.create_connection(("93.184.216.34", 80), timeout=1)


def test_outside_http_request_is_blocked():
    with pytest.raises(BLOCKED):
        httpx2.get("http://93.184.216.34/", timeout=1)


def test_localhost_is_allowed(reference_url):
    response = httpx2.get(f"{reference_url}/models", timeout=5)
    assert response.status_code == 200
    assert response.json()["data"][0]["id"] == "reference"
