"""Views of a trace: tables (`tables`), the computation graph (`graph`), widgets (`explorer`, its panels,
controls and saved view in `explorer_panels`, `explorer_controls`, `explorer_saved_view`).

Nothing is imported here: `import adlab` must stay free of graphviz, IPython
and ipywidgets, so each view module loads when a trace is first shown.
"""
