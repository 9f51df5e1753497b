"""``personae messages preview``: a template as one person would receive it, and a test
send of it to any address.

Registered on the main app by ``register(app)``.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from personae.cli.context import err_console, guard, open_project

messages_app = typer.Typer(help="E-mail and SMS messages: preview and test-send templates.")


def register(app: typer.Typer) -> None:
    app.add_typer(messages_app, name="messages")


@messages_app.command("preview")
def preview(
    template: Annotated[str, typer.Argument(help="A template of messages.templates.")],
    person: Annotated[int, typer.Option("--person", help="The person_id to fill it for.")],
    send_to: Annotated[
        str | None,
        typer.Option(
            "--send-to",
            help="Also send it to this address (a test: campaign 'test', through the "
            "channel's connector).",
        ),
    ] = None,
    html: Annotated[bool, typer.Option("--html", help="Print the HTML body too.")] = False,
) -> None:
    """Print TEMPLATE filled with a person's profile, links signed; --send-to sends it."""
    import dataclasses
    import uuid

    from personae.activate.connectors.messages import message_connector
    from personae.activate.outbox import Decision, compose_messages
    from personae.errors import NotFoundError

    def go() -> Any:
        message_id = f"test-{uuid.uuid4().hex[:12]}"
        with open_project() as project:
            decision = Decision(message_id, "test", person, template)
            outbox = compose_messages(project.engine, project.config, project.root, [decision])
            if not outbox.messages:
                raise NotFoundError(outbox.unaddressed[message_id])
            (message,) = outbox.messages
            # plain echo: a console would wrap the long signed links
            typer.echo(f"To: {message.to}")
            if message.subject is not None:
                typer.echo(f"Subject: {message.subject}")
            typer.echo(f"\n{message.body}")
            if html and message.extra.get("html"):
                typer.echo(f"\n{message.extra['html']}")
            if send_to:
                connector = message_connector(project.config, project.root, message.channel)
                try:
                    result = connector.send(dataclasses.replace(message, to=send_to))
                finally:
                    connector.close()
                err_console.print(
                    f"Sent to {send_to} ({result.provider_id or 'no provider id'})",
                    highlight=False,
                    markup=False,
                )

    guard(go)
