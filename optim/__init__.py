"""optim: see DESIGN.md."""
