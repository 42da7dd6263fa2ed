"""viz: see DESIGN.md."""
