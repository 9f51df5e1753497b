"""One module per screen; each exposes ``ROUTES``."""
