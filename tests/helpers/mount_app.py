"""A tiny ASGI app factory to mount on ``personae serve`` (the extension point)."""

from __future__ import annotations

import os
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


def factory(root: Path) -> Starlette:
    async def profile(request: Request) -> Response:
        return JSONResponse(
            {"id": request.path_params["id"], "root": str(root), "pid": os.getpid()}
        )

    return Starlette(routes=[Route("/{id}", profile)])
