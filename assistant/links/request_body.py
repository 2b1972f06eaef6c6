"""Reading a request's body on the public click service without trusting its size.

The click service (short links, conversions, unsubscribe) faces the internet: a body is read
chunk by chunk and given up as soon as it passes the route's limit, whatever Content-Length says.
"""

from __future__ import annotations


async def bounded(request, limit: int) -> bytes | None:
    """The body of ``request`` (a Starlette request), or None once it is over ``limit`` bytes
    (declared or sent); the rest is not read."""
    try:
        if int(request.headers.get("content-length") or 0) > limit:
            return None
    except ValueError:
        return None
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return body
