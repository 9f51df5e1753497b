"""``personae ui``: the web UI (:mod:`personae.ui`), and ``personae ui users`` to manage
who may log in. Registered on the main app by ``register(app)``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from personae.cli.context import console, err_console, guard, project_root
from personae.errors import PersonaeError

if TYPE_CHECKING:
    from personae.demo.ui_seed import SeededUi

#: the UI's default port
PORT = 8700

ui_app = typer.Typer(
    help="The web UI: search, customer 360, identity graph, review, segments, dashboards, "
    "privacy. 'personae ui' serves it; 'personae ui users' manages its users.",
    invoke_without_command=True,
)
users_app = typer.Typer(help="Users of the web UI, each with a role.")
ui_app.add_typer(users_app, name="users")


def register(app: typer.Typer) -> None:
    """Add ``personae ui`` to ``app``."""
    app.add_typer(ui_app, name="ui")


@ui_app.callback()
def ui(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = PORT,
    no_auth: Annotated[
        bool,
        typer.Option(
            "--no-auth",
            help="No login: everyone on this machine is an admin (localhost only, for demos).",
        ),
    ] = False,
    secure_cookies: Annotated[
        bool,
        typer.Option(help="Mark the session cookie Secure (behind an HTTPS proxy)."),
    ] = False,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "warning",
) -> None:
    """Serve the web UI at http://HOST:PORT/ui/ (also under /ui of 'personae serve')."""
    if ctx.invoked_subcommand is not None:
        return

    def go() -> None:
        from personae.ui.accounts import Accounts
        from personae.ui.app import is_loopback
        from personae.ui.workspace import Workspace

        root = project_root()
        if no_auth and not is_loopback(host):
            raise PersonaeError(
                f"--no-auth serves without login: only on localhost, not on {host}; "
                "drop --no-auth and create users with 'personae ui users add NAME --role admin'"
            )
        if not no_auth and not Accounts(root).users():
            raise PersonaeError(
                "no UI user yet: create one with 'personae ui users add NAME --role admin' "
                "(or use --no-auth on localhost for a demo)"
            )
        if Workspace(root).ensure_published():
            err_console.print("personae ui: published the serving store the UI reads")
        serve_ui(
            root,
            host=host,
            port=port,
            no_auth=no_auth,
            secure_cookies=secure_cookies,
            log_level=log_level,
        )

    guard(go)


def serve_ui(
    root: Path,
    *,
    host: str = "127.0.0.1",
    port: int = PORT,
    no_auth: bool = False,
    secure_cookies: bool = False,
    log_level: str = "warning",
) -> None:
    """Serve the UI of the project at ``root`` until Ctrl-C."""
    import uvicorn

    from personae.ui.app import standalone_app

    app = standalone_app(root, no_auth=no_auth, secure_cookies=secure_cookies)
    err_console.print(f"personae ui: http://{host}:{port}/ui/ (Ctrl-C stops it)")
    uvicorn.run(app, host=host, port=port, log_level=log_level)


def tell_ui(console: Console, directory: Path, seeded: SeededUi, *, serving: bool) -> None:
    """How to open the demo in the web UI (the admin's password, shown this once)."""
    url = f"http://127.0.0.1:{PORT}/ui/"
    if seeded.person_id is not None:
        url += f"persons/{seeded.person_id}"
    if seeded.password is not None:
        login = (
            f"log in as admin, password {seeded.password} (shown once; "
            "'personae ui users password admin' gives a new one)"
        )
    else:
        login = "log in with one of the project's users ('personae ui users list')"
    start = "" if serving else f"start it with 'personae --project {directory} ui', then "
    console.print(f"\nWeb UI: {start}open {url} and {login}", highlight=False, soft_wrap=True)


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="The user's login name.")],
    role: Annotated[
        str, typer.Option(help="admin, marketer, analyst (PII masked) or dpo.")
    ] = "marketer",
    language: Annotated[str, typer.Option(help="en or fr.")] = "en",
) -> None:
    """Create a user and print its password (shown only once)."""
    from personae.ui.accounts import Accounts

    def go() -> None:
        password = Accounts(project_root()).add(name, role, language=language)
        console.print(f"User {name} ({role}) created; password (shown once): {password}")

    guard(go)


@users_app.command("list")
def users_list() -> None:
    """The users and their roles."""
    from personae.ui.accounts import Accounts

    def go() -> None:
        for user in Accounts(project_root()).users():
            console.print(f"{user.name}\t{user.role}\t{user.language}\t{user.created_at}")

    guard(go)


@users_app.command("password")
def users_password(name: Annotated[str, typer.Argument(help="The user.")]) -> None:
    """Give a user a new password (printed once) and end its sessions."""
    from personae.ui.accounts import Accounts
    from personae.ui.sessions import Sessions

    def go() -> None:
        root = project_root()
        password = Accounts(root).set_password(name)
        Sessions(root).end_user(name)
        console.print(f"New password for {name} (shown once): {password}")

    guard(go)


@users_app.command("remove")
def users_remove(name: Annotated[str, typer.Argument(help="The user.")]) -> None:
    """Remove a user and end its sessions."""
    from personae.ui.accounts import Accounts
    from personae.ui.sessions import Sessions

    def go() -> None:
        root = project_root()
        Accounts(root).remove(name)
        Sessions(root).end_user(name)
        console.print(f"User {name} removed")

    guard(go)
