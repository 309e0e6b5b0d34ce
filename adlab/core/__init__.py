"""The AD engine, NumPy only. One module per sitting, in this order (each imports only modules before it):

tree (nested containers of arrays), interpreter (primitives, boxes, levels, `bind`), rules (the
primitive table), value_reads, numpy_functions, numpy_dispatch and arraybox (NumPy on traced values),
forward, reverse and batching (three interpreters), recording, api (the functional API), revolve
(checkpointing a loop).
"""
