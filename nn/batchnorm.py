"""``BatchNorm1d``: normalize each feature over the mini-batch, then scale and shift.

BatchNorm as the lecture on optimization algorithms introduces it, between z and the activation.

In training mode, over a batch z of shape (N, C) (rows are samples), per feature:

    μ = mean(z),  σ² = mean((z - μ)²)  (biased: divided by N),
    z_norm = (z - μ) / √(σ² + ε),  z̃ = γ·z_norm + β,

with learned γ (``weight``, starts at 1) and β (``bias``, starts at 0), and the running
statistics, kept for evaluation, move towards the batch's:

    running_mean ← (1 - momentum)·running_mean + momentum·μ
    running_var  ← (1 - momentum)·running_var  + momentum·σ²·N/(N - 1)

The running variance takes the unbiased estimate (divided by N - 1), as PyTorch does,
although the batch is normalized with the biased one. In evaluation mode the running
statistics take the place of μ and σ², so an output depends on its own row only.
The running statistics are buffers: in the state dict, not among the parameters.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autodiff import Tensor

from .inputs import as_tensor, float_dtype, real_number
from .module import Module


class BatchNorm1d(Module):
    """Batch normalization of (N, num_features) inputs, between z and the activation.

    ``eps`` a finite number > 0, ``momentum`` one in [0, 1], ``dtype`` a floating-point
    dtype (an integer one would truncate the running statistics): anything else is refused.
    """

    def __init__(
        self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, dtype: Any = np.float64
    ) -> None:
        whole = isinstance(num_features, (int, np.integer)) and not isinstance(num_features, bool)
        if not whole:
            raise TypeError(f"BatchNorm1d: num_features must be a positive int, got {num_features!r}")
        if num_features < 1:
            raise ValueError(f"BatchNorm1d: num_features must be a positive int, got {num_features!r}")
        self.eps = real_number(eps, "BatchNorm1d", "eps", low=0.0, low_open=True)
        self.momentum = real_number(momentum, "BatchNorm1d", "momentum", low=0.0, high=1.0)
        dtype = float_dtype(dtype, "BatchNorm1d")
        self.num_features = int(num_features)
        self.weight = Tensor(np.ones(self.num_features, dtype=dtype), requires_grad=True, label="weight")
        self.bias = Tensor(np.zeros(self.num_features, dtype=dtype), requires_grad=True, label="bias")
        self.register_buffer("running_mean", np.zeros(self.num_features, dtype=dtype))
        self.register_buffer("running_var", np.ones(self.num_features, dtype=dtype))

    def forward(self, z: Any) -> Tensor:
        z = as_tensor(z)
        if z.ndim != 2 or z.shape[1] != self.num_features:
            raise ValueError(
                f"BatchNorm1d({self.num_features}) needs input of shape (N, {self.num_features}), "
                f"got {z.shape}"
            )
        if not self.training:
            z_norm = (z - self.running_mean) / np.sqrt(self.running_var + self.eps)
            return z_norm * self.weight + self.bias
        n = z.shape[0]
        if n < 2:
            raise ValueError(f"BatchNorm1d in training mode needs a batch of at least 2 rows, got {n}")
        mean = z.mean(axis=0)
        centered = z - mean
        var = (centered * centered).mean(axis=0)
        z_norm = centered / (var + self.eps).sqrt()
        m, dtype = self.momentum, self.running_mean.dtype
        unbiased_var = var.data * (n / (n - 1))
        self.running_mean = ((1 - m) * self.running_mean + m * mean.data).astype(dtype, copy=False)
        self.running_var = ((1 - m) * self.running_var + m * unbiased_var).astype(dtype, copy=False)
        return z_norm * self.weight + self.bias

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"
