"""The AD engine: primitives, forward and reverse mode, and the functional API. NumPy only."""
