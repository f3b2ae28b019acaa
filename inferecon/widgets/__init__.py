"""ipywidgets explorers. Importing this package imports ipywidgets.

Each ``make_<thing>_explorer()`` returns an object with ``.widget`` (the container to
display) and its controls and output labels as attributes, so tests can set a control and
read the result. Callbacks update ``HTML`` widgets' ``.value`` (no ``Output``/``interact``,
which stall notebook execution and break nbval). Every explorer has a static figure beside
it in the book, because a static HTML page has no Python kernel to run callbacks.
"""
