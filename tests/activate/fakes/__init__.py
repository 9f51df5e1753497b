"""Local fake servers of the platforms personae syncs to: real HTTP servers on 127.0.0.1
that enforce each platform's documented request shapes, auth and limits, answer errors
the way the platform does, can be told to answer 429 with ``Retry-After``, and record what
they hold."""
