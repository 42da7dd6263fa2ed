"""``make demo``'s table: the slides' worked example, f = (x + y) * z at x = -2, y = 5, z = -4, in text.

Every node with its value and gradient, then every edge of the backward pass with the
chain rule in numbers: upstream x local = downstream. The same example as pictures
(forward, backward and a GIF of the steps) comes from the ``backprop-lab render`` lines
of the Makefile's demo target.
"""

from __future__ import annotations

from autodiff import Value, backward_steps, topological_order


def worked_example() -> Value:
    """f(x, y, z) = (x + y) z at x = -2, y = 5, z = -4."""
    x, y, z = Value(-2.0, label="x"), Value(5.0, label="y"), Value(-4.0, label="z")
    q = x + y
    q.label = "q"
    f = q * z
    f.label = "f"
    return f


def _num(v: float) -> str:
    return f"{v:g}"


def table(root: Value) -> str:
    """A text table of every node (forward value, op, gradient) and every backward edge."""
    steps = list(backward_steps(root))
    lines = [f"{'node':<6}{'op':<6}{'value':>8}{'grad':>8}"]
    for node in topological_order(root):
        lines.append(f"{node.label:<6}{node.op or 'leaf':<6}{_num(node.data):>8}{_num(node.grad):>8}")
    lines.append("")
    lines.append("backward, edge by edge: upstream x local = downstream")
    for step in steps:
        for edge in step.edges:
            lines.append(
                f"  d{root.label}/d{edge.parent.label} += d{root.label}/d{step.node.label} x "
                f"d{step.node.label}/d{edge.parent.label}:  "
                f"{_num(step.upstream)} x {_num(edge.local)} = {_num(edge.contribution)}"
            )
    return "\n".join(lines)


def main() -> None:
    print("f(x, y, z) = (x + y) * z  at  x = -2, y = 5, z = -4\n")
    print(table(worked_example()))


if __name__ == "__main__":
    main()
