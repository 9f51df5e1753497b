"""Connected components of an undirected graph, in SQL.

The algorithm works on a contracted edge list that shrinks every round:

1. **hook**: every node with a smaller neighbour points to its smallest neighbour; this
   gives a forest whose roots are local minima;
2. **shortcut**: pointer jumping (``parent = parent(parent)``) until every node points
   at its root;
3. **contract**: each edge is replaced by the edge between the roots of its ends;
   edges inside one tree disappear.

Rounds stop when no edge is left (a handful of rounds on identity graphs: their
components are small and shallow). The parent pointers of every round form one forest
whose roots are the components' smallest nodes; it is flattened once at the end. Each
round's tables replace the previous ones, so the work shrinks with the graph.
"""

from __future__ import annotations

from personae.engine import Engine
from personae.errors import PersonaeError
from personae.unify.tables import drop_tables

#: safety net: hooking to the smallest neighbour with full shortcutting converges in a
#: number of rounds logarithmic in the components' size in practice
MAX_ROUNDS = 60


class ComponentsError(PersonaeError):
    """Connected components did not converge (a bug, or a pathological graph)."""


def connected_components(engine: Engine, edges: str, out: str, *, work: str) -> int:
    """Label the nodes of the graph ``edges``; return the rounds run.

    ``edges`` is a query of ``(a BIGINT, b BIGINT)`` (in any direction, duplicates
    allowed); it is read once.

    Writes ``out(node, label)``: ``label`` is the smallest node of ``node``'s component.
    Only nodes whose label differs from themselves are listed: a node absent from ``out``
    is its own label (use ``coalesce(label, node)``). Working tables are named after
    ``work`` and dropped at the end. No statement reads the table it replaces.
    """
    edge_tables = (f"{work}_edges_0", f"{work}_edges_1")
    parents, forest = f"{work}_parents", f"{work}_forest"
    current = edge_tables[0]
    engine.create_table_as(
        current,
        f"SELECT DISTINCT least(a, b) AS a, greatest(a, b) AS b FROM ({edges}) AS e "
        "WHERE a <> b AND a IS NOT NULL AND b IS NOT NULL",
    )
    engine.create_table_as(
        forest,
        "SELECT CAST(NULL AS BIGINT) AS node, CAST(NULL AS BIGINT) AS parent WHERE false",
    )
    rounds = 0
    while engine.scalar(f"SELECT count(*) FROM {current}"):
        rounds += 1
        if rounds > MAX_ROUNDS:
            raise ComponentsError(f"connected components did not converge in {MAX_ROUNDS} rounds")
        # edges are stored with a < b: only b can hook, onto its smallest neighbour a
        engine.create_table_as(
            parents, f"SELECT b AS node, min(a) AS parent FROM {current} GROUP BY b"
        )
        hooked = shortcut(engine, parents, work=work)
        engine.execute(f"INSERT INTO {forest} SELECT node, parent FROM {hooked}")
        following = edge_tables[rounds % 2]
        engine.create_table_as(
            following,
            f"""
            SELECT DISTINCT least(x, y) AS a, greatest(x, y) AS b FROM (
                SELECT coalesce(pa.parent, e.a) AS x, coalesce(pb.parent, e.b) AS y
                FROM {current} AS e
                LEFT JOIN {hooked} AS pa ON pa.node = e.a
                LEFT JOIN {hooked} AS pb ON pb.node = e.b
            ) AS c WHERE x <> y
            """,
        )
        current = following
    flat = shortcut(engine, forest, work=work)
    engine.create_table_as(out, f"SELECT node, parent AS label FROM {flat}")
    drop_tables(engine, working_tables(work))
    return rounds


def working_tables(work: str) -> tuple[str, ...]:
    """The tables a run named ``work`` uses (dropped when it ends)."""
    return (
        f"{work}_edges_0",
        f"{work}_edges_1",
        f"{work}_parents",
        f"{work}_forest",
        *_jump_tables(work),
    )


def _jump_tables(work: str) -> tuple[str, str]:
    return f"{work}_jump_0", f"{work}_jump_1"


def shortcut(engine: Engine, parents: str, *, work: str) -> str:
    """Pointer jumping on ``parents(node, parent)`` until every parent is a root.

    A root is a node without a row. Returns the name of the table holding the result:
    ``parents`` itself when it was already flat, else one of ``work``'s jump tables.
    """
    current = parents
    for jump in range(MAX_ROUNDS):
        following = _jump_tables(work)[jump % 2]
        engine.create_table_as(
            following,
            f"""
            SELECT p.node, coalesce(g.parent, p.parent) AS parent,
                   g.parent IS NOT NULL AS moved
            FROM {current} AS p LEFT JOIN {current} AS g ON g.node = p.parent
            """,
        )
        if not engine.scalar(f"SELECT count(*) FROM {following} WHERE moved"):
            return current
        current = following
    raise ComponentsError(f"pointer jumping did not converge in {MAX_ROUNDS} jumps")
