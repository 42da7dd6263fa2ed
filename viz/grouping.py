"""Collapsing a big graph into one box per module, using the scopes nodes carry.

Every node created inside an ``nn.Module`` call (or a ``with autodiff.scope(name):``
block) points to a ``Scope``; nested calls give a path such as MLP > Layer > Neuron.
Grouping by a scope name (``"Neuron"``) or a depth in that path (``1`` for the
outermost) puts the nodes made inside such a scope into one group per module: a neuron
run on a batch of two points is one box ("2 calls"), as its weights are shared by both.

A parameter is made when the module is built, outside any call, so it carries no
scope: a parameter of a group's module whose consumers all sit in that group joins it
too, which puts each neuron's weights and bias inside its box. The inputs stay outside
as boxes of their own (a layer's box does not swallow the ``x`` it reads). For a scope
opened by a ``with autodiff.scope(name):`` block, which has no module to ask for its
parameters, any leaf whose consumers all sit in one group joins it.

The collapsed graph must have no cycle to be drawn left to right. One box per call
never has one (calls do not overlap in time, and a node only depends on older nodes);
one box per module could (a module applied twice with another in between: A, B, A),
and in that case the groups fall back to one per call, titled "call k of n".
"""

from __future__ import annotations

from typing import Any, Iterator, Sequence

import networkx as nx


class Group:
    """The nodes made inside one module's calls (or one call): ``key`` (``g0``...), ``title``,
    ``members`` and ``calls`` (how many calls it gathers)."""

    __slots__ = ("key", "scope", "title", "members", "calls")

    def __init__(self, key: str, scope: Any) -> None:
        self.key = key
        self.scope = scope  # the first scope (call) it holds
        self.title = scope.name
        self.members: list = []
        self.calls = 0

    def __repr__(self) -> str:
        return f"Group({self.key!r}, {self.title!r}, {len(self.members)} nodes)"


def _distinct_scopes(order: Sequence[Any]) -> Iterator[Any]:
    """Each scope the nodes of ``order`` were made in, once, in order of first use."""
    seen: set[int] = set()
    for node in order:
        scope = getattr(node, "scope", None)
        if scope is not None and id(scope) not in seen:
            seen.add(id(scope))
            yield scope


def scope_names(order: Sequence[Any]) -> list[str]:
    """The scope names found in the graph, outermost first (e.g. MLP, Layer, Neuron)."""
    depth_of: dict[str, int] = {}
    for scope in _distinct_scopes(order):
        for depth, s in enumerate(scope.path):
            depth_of.setdefault(s.name, depth)
    return sorted(depth_of, key=lambda name: (depth_of[name], name))


def _matching_scope(scope: Any, group: str | int) -> Any:
    if scope is None:
        return None
    path = scope.path
    if isinstance(group, int):
        return path[group - 1] if len(path) >= group else None
    for s in path:
        if s.name == group:
            return s
    return None


def assign_groups(order: Sequence[Any], group: str | int | None) -> tuple[dict[int, Group], list[Group]]:
    """``({id(node): Group}, groups)`` for grouping ``group`` (a scope name or a depth >= 1).

    Nodes outside every matching scope stay ungrouped (absent from the dict).
    Raises ValueError when nothing in the graph matches, naming the scopes there are.
    """
    if group is None:
        return {}, []
    if isinstance(group, bool) or not isinstance(group, (str, int)):
        raise TypeError(f"group must be a scope name (str), a depth (int >= 1) or None, got {group!r}")
    if isinstance(group, int) and group < 1:
        raise ValueError(f"group depth must be >= 1 (1 is the outermost scope), got {group}")
    scopes = [_matching_scope(getattr(node, "scope", None), group) for node in order]
    if not any(scope is not None for scope in scopes):
        names = scope_names(order)
        available = (
            f"scopes in this graph: {', '.join(names)}"
            if names
            else "no node of this graph has a scope (nodes get one when made inside an nn.Module call "
            "or a `with autodiff.scope(name):` block)"
        )
        raise ValueError(f"no node was made inside a scope matching group={group!r}; {available}")
    membership, groups = _collect(order, scopes, by_module=True)
    if any(g.calls > 1 for g in groups) and not _acyclic(order, membership):
        membership, groups = _collect(order, scopes, by_module=False)
    _name_groups(groups)
    return membership, groups


def _collect(order: Sequence[Any], scopes: list, by_module: bool) -> tuple[dict[int, Group], list[Group]]:
    """Groups keyed by the module that opened each scope (``by_module``) or by the scope
    itself (one per call); then the leaves that feed one group only join it."""
    membership: dict[int, Group] = {}
    by_key: dict[int, Group] = {}
    seen_scopes: set[int] = set()
    groups: list[Group] = []
    for node, scope in zip(order, scopes):
        if scope is None:
            continue
        key = id(scope.owner) if by_module and scope.owner is not None else id(scope)
        found = by_key.get(key)
        if found is None:
            found = by_key[key] = Group(f"g{len(groups)}", scope)
            groups.append(found)
        if id(scope) not in seen_scopes:
            seen_scopes.add(id(scope))
            found.calls += 1
        membership[id(node)] = found
    _absorb_leaves(order, membership)
    for node in order:
        found = membership.get(id(node))
        if found is not None:
            found.members.append(node)
    return membership, groups


def _acyclic(order: Sequence[Any], membership: dict[int, Group]) -> bool:
    """Whether the graph with every group collapsed to one node has no cycle."""
    collapsed = nx.DiGraph()
    for node in order:
        head = membership.get(id(node), None)
        head_key = head.key if head is not None else id(node)
        for parent in node.parents:
            tail = membership.get(id(parent), None)
            tail_key = tail.key if tail is not None else id(parent)
            if tail_key != head_key:
                collapsed.add_edge(tail_key, head_key)
    return nx.is_directed_acyclic_graph(collapsed)


def _absorb_leaves(order: Sequence[Any], membership: dict[int, Group]) -> None:
    """A leaf outside every group whose consumers all sit in one group joins it, if it is
    one of the parameters of that group's module (any leaf, for a scope with no module)."""
    consumer_group: dict[int, Group | None] = {}
    for node in order:
        node_group = membership.get(id(node))
        for parent in node.parents:
            if parent.parents or id(parent) in membership:
                continue
            if id(parent) not in consumer_group:
                consumer_group[id(parent)] = node_group
            elif consumer_group[id(parent)] is not node_group:
                consumer_group[id(parent)] = None
    owned: dict[int, set[int] | None] = {}  # id(module) -> ids of its parameters
    for node in order:
        found = consumer_group.get(id(node))
        if found is None:
            continue
        owner = found.scope.owner
        if owner is not None and id(owner) not in owned:
            owned[id(owner)] = _parameter_ids(owner)
        parameters = owned.get(id(owner)) if owner is not None else None
        if parameters is None or id(node) in parameters:
            membership[id(node)] = found


def _parameter_ids(module: Any) -> set[int] | None:
    """The ids of ``module``'s parameters (None: it cannot list them, e.g. no nn module)."""
    named = getattr(module, "named_parameters", None)
    if not callable(named):
        return None
    return {id(parameter) for _, parameter in named()}


def module_names(order: Sequence[Any]) -> dict[int, str]:
    """``{id(module): qualified name}`` for every module inside the outermost modules that
    made nodes of ``order`` (``"layers.1.neurons.3"``, ``"0"``; the outermost itself "")."""
    names: dict[int, str] = {}
    for outer in _outermost_modules(order):
        for name, module in outer.named_modules():
            names.setdefault(id(module), name)
    return names


def parameter_names(order: Sequence[Any]) -> dict[int, str]:
    """``{id(parameter): its name in the outermost module}``, as ``named_parameters()``
    gives it (``"0.weight"``, ``"layers.2.bias"``), for the modules that made ``order``."""
    names: dict[int, str] = {}
    for outer in _outermost_modules(order):
        named = getattr(outer, "named_parameters", None)
        if callable(named):
            for name, parameter in named():
                names.setdefault(id(parameter), name)
    return names


def _outermost_modules(order: Sequence[Any]) -> list:
    """The outermost modules (with ``named_modules()``) in the scope paths of ``order``'s
    nodes; a model called inside a ``with autodiff.scope(...)`` block counts too."""
    modules: dict[int, Any] = {}
    for scope in _distinct_scopes(order):
        for s in scope.path:
            if s.owner is not None and hasattr(s.owner, "named_modules"):
                modules.setdefault(id(s.owner), s.owner)
                break
    return list(modules.values())


def _name_groups(groups: list[Group]) -> None:
    """Titles such as ``Neuron layers.1.neurons.3 (2 calls)``: the module's name inside the
    outermost module (when it has ``named_modules()``, as nn modules do), and how many
    calls the box gathers, or which call it is when calls are kept apart."""
    qualified: dict[int, str] = {}
    for g in groups:
        outer = g.scope.path[0].owner
        if outer is None or id(outer) in qualified or not hasattr(outer, "named_modules"):
            continue
        for name, module in outer.named_modules():
            qualified.setdefault(id(module), name)
    same_owner: dict[int, list[Group]] = {}
    for g in groups:
        owner = g.scope.owner
        name = qualified.get(id(owner)) if owner is not None else None
        g.title = f"{g.scope.name} {name}" if name else g.scope.name
        if g.calls > 1:
            g.title += f" ({g.calls} calls)"
        if owner is not None:
            same_owner.setdefault(id(owner), []).append(g)
    for split in same_owner.values():
        if len(split) > 1:  # one module's calls kept apart
            for number, g in enumerate(split, start=1):
                g.title += f" (call {number} of {len(split)})"
