"""The sign-in cookie route (``assistant/ui/web.py``) and the app's server (``serve.py``)."""

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from assistant.access import session_cookie
from assistant.ui.web import routes


@pytest.fixture
def client():
    return TestClient(Starlette(routes=routes()), base_url="https://porte-voix.example")


def test_a_grant_becomes_an_http_only_signed_cookie_once(client):
    value = session_cookie.sign(b"k" * 32, "token-1")
    grant = session_cookie.GRANTS.issue(value, max_age_s=3600)
    response = client.post(session_cookie.ROUTE, json={"grant": grant})
    assert response.status_code == 204
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{session_cookie.COOKIE}={value}")
    for attribute in ("HttpOnly", "Max-Age=3600", "Path=/", "SameSite=lax", "Secure"):
        assert attribute.lower() in cookie.lower()
    assert client.post(session_cookie.ROUTE, json={"grant": grant}).status_code == 410, "a grant works once"
    assert client.post(session_cookie.ROUTE, json={"grant": "guessed"}).status_code == 410


def test_sign_out_clears_the_cookie_and_other_origins_are_refused(client):
    response = client.delete(session_cookie.ROUTE)
    assert response.status_code == 204 and "max-age=0" in response.headers["set-cookie"].lower()
    grant = session_cookie.GRANTS.issue("v", 60)
    refused = client.post(session_cookie.ROUTE, json={"grant": grant}, headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403 and "set-cookie" not in refused.headers


def test_a_tampered_cookie_names_no_session():
    secret = b"s" * 32
    value = session_cookie.sign(secret, "abc")
    assert session_cookie.unsign(secret, value) == "abc"
    assert session_cookie.unsign(secret, "abd" + value[3:]) is None
    assert session_cookie.unsign(secret, None) is None


def test_the_server_file_declares_the_app_with_its_routes():
    from streamlit.web.server.app_discovery import discover_asgi_app

    from tests.conftest import ROOT

    found = discover_asgi_app(ROOT / "serve.py")
    assert found.is_asgi_app and found.app_name == "app"
