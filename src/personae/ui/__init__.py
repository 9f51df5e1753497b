"""The web UI: the customer 360, the identity graph, review, segments, dashboards and
privacy requests, served by personae itself (``personae ui``, or ``/ui`` of ``personae
serve``). Server-rendered pages (Starlette, Jinja2) with htmx; the graph (cytoscape.js)
and the charts (Vega-Lite) are vendored in ``static/vendor``. Pages read through the same
core functions as the CLI; no SQL lives here."""
