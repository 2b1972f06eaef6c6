"""HTTP routes served next to the Streamlit app (``serve.py``): the sign-in cookie.

``POST /api/session`` with ``{"grant": "…"}`` redeems a one-time grant the app
issued at sign-in (``session_cookie.GRANTS``) and answers with the session
cookie: ``HttpOnly`` (scripts never read it), ``SameSite=Lax``, ``Path=/``,
``Max-Age`` = the session's lifetime, ``Secure`` when served over HTTPS.
``DELETE /api/session`` clears it (the session itself is revoked on the
server by the sign-out, before). Requests from another origin are refused.
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from assistant.access.session_cookie import COOKIE, GRANTS, ROUTE


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if not origin:
        return True  # same-origin fetches may omit it; the grant is the secret anyway
    host = request.headers.get("host", "")
    return origin.split("://", 1)[-1].rstrip("/") == host


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto", "").lower() == "https"


async def open_session(request: Request) -> Response:
    if not _same_origin(request):
        return Response(status_code=403)
    try:
        grant = str((json.loads(await request.body() or b"{}") or {}).get("grant") or "")
    except (ValueError, AttributeError):
        return Response(status_code=400)
    redeemed = GRANTS.redeem_with_age(grant)
    if redeemed is None:
        return Response(status_code=410)  # unknown, used or expired: sign in again
    value, max_age = redeemed
    response = Response(status_code=204, headers={"Cache-Control": "no-store"})
    response.set_cookie(COOKIE, value, max_age=int(max_age), path="/", httponly=True, samesite="lax",
                        secure=_secure(request))
    return response


async def close_session(request: Request) -> Response:
    if not _same_origin(request):
        return Response(status_code=403)
    response = Response(status_code=204, headers={"Cache-Control": "no-store"})
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=_secure(request))
    return response


def routes() -> list[Route]:
    return [Route(ROUTE, open_session, methods=["POST"]), Route(ROUTE, close_session, methods=["DELETE"])]
