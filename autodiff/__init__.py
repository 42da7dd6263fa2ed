"""autodiff: reverse-mode automatic differentiation whose graph you can see.

``Value`` is a scalar node, ``Tensor`` a numpy-backed one; both follow one graph
protocol (``data grad parents op label``) that the engine, the step-through and
every renderer rely on.
"""

from .context import Scope, enable_grad, is_grad_enabled, no_grad, scope
from .engine import Edge, Step
from .checks import backward, backward_steps, grad, topological_order  # engine's, arguments checked first
from .node import Node
from .gradcheck import GradcheckError, gradcheck
from .scalar import Op, Value
from .tensor import Tensor, concatenate, stack
from . import fast
from .fast import keep_freed_memory, linear, softmax_cross_entropy
from .tensor_ops import TensorOp
from .opcheck import OpCheckReport, check_op

fast.install_unless_asked_not_to()

__all__ = [
    "Value",
    "Op",
    "Node",
    "Tensor",
    "TensorOp",
    "concatenate",
    "stack",
    "linear",
    "softmax_cross_entropy",
    "grad",
    "backward",
    "backward_steps",
    "topological_order",
    "Step",
    "Edge",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "scope",
    "Scope",
    "gradcheck",
    "check_op",
    "OpCheckReport",
    "GradcheckError",
    "keep_freed_memory",
]
