"""What ``personae serve`` mounts at ``/ui``: the UI, imported on its first request, so
that the collection API starts (and restarts its workers) without waiting for it."""

from __future__ import annotations

import threading
from pathlib import Path

from starlette.types import ASGIApp, Receive, Scope, Send


def serve_app(project_root: Path) -> ASGIApp:
    """The UI of the project (login required), built when first asked."""
    built: list[ASGIApp] = []
    lock = threading.Lock()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if not built:
            with lock:
                if not built:
                    from personae.ui.app import create_app

                    built.append(create_app(project_root))
        await built[0](scope, receive, send)

    return app
