"""``personae protect …``: encryption at rest (new key, key rotation, check).

Registered on the main app by :func:`register`; every command runs under the CLI's
error handler.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from personae.cli.context import console, err_console, guard, open_project, project_root

protect_app = typer.Typer(help="Encryption at rest: keys, rotation, checks.")


@protect_app.command("new-key")
def new_key() -> None:
    """Print a new random master key (base64 of 32 bytes) for PERSONAE_ENCRYPTION_KEY
    or a key file outside the project."""
    from personae.protect.encryption import new_master_key

    typer.echo(new_master_key())


@protect_app.command("rotate-key")
def rotate_key(
    new_key_file: Annotated[
        Path | None,
        typer.Option(help="A file holding the new key (default: PERSONAE_NEW_ENCRYPTION_KEY)."),
    ] = None,
) -> None:
    """Re-encrypt everything under .personae/ with a new key (PERSONAE_NEW_ENCRYPTION_KEY
    or --new-key-file); the current key comes from PERSONAE_ENCRYPTION_KEY or
    protect.key_file. Run it on a project written before protect.encryption was on to
    encrypt it. Stop 'personae serve' first."""
    from personae.privacy.rotation import rotate_keys
    from personae.protect.encryption import (
        NEW_KEY_ENV,
        EncryptionError,
        Keyring,
        load_master_key,
        parse_master_key,
    )

    def go() -> None:
        with open_project(check=False) as project:
            protect = project.config.protect
            if not protect.encryption:
                raise EncryptionError(
                    "protect.encryption is off in personae.yml: turn it on first, then "
                    "rotate (which encrypts what was written in plaintext)"
                )
            if new_key_file is not None:
                text = new_key_file.expanduser().read_text(encoding="utf-8")
                new = Keyring(parse_master_key(text, origin=str(new_key_file)))
            else:
                new = load_master_key(project.root, None, env=NEW_KEY_ENV, rotating=True)
            try:
                old: Keyring | None = load_master_key(project.root, protect.key_file, rotating=True)
            except EncryptionError:
                old = None  # no current key: the project is encrypted for the first time
            report = rotate_keys(project, old, new)
        console.print(
            f"Re-encrypted under key {new.key_id}: "
            f"{'the warehouse, ' if report.warehouse else ''}{report.segments} WAL "
            f"segment(s), {report.files} file(s) ({report.unchanged} already done)"
            + ("; the serving store republished." if report.serving else ".")
        )
        err_console.print(
            "Now give the new key to personae (PERSONAE_ENCRYPTION_KEY or protect.key_file); "
            "the old one opens nothing any more."
        )

    guard(go)


@protect_app.command("check")
def check() -> None:
    """List the files and folders under .personae/ that other users can read or enter;
    exits 1 when there are any."""
    from personae.project import Project
    from personae.protect.files import loose_files

    def go() -> None:
        project = Project.load(project_root())
        loose = loose_files(project.state_dir) if project.state_dir.exists() else []
        for line in loose:
            console.print(f"readable by others: {line}", highlight=False)
        if loose:
            raise typer.Exit(1)
        console.print("Every file and folder under .personae/ is private to its owner.")

    guard(go)


def register(app: typer.Typer) -> None:
    app.add_typer(protect_app, name="protect")
