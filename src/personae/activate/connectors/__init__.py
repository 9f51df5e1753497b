"""Connectors: how personae talks to each kind of destination (files, webhooks, e-mail
and SMS tools, ad platforms). :mod:`.base` holds the contract every connector keeps."""
