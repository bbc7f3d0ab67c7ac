"""The engine that shows figures, explorers and self-checks in JupyterLab and in the static book.

    figures    plotly figures that render in a kernel and in the book (the course renderer)
    webfigure  a figure's title and source note as HTML on a book page
    twin       Explorer, Slider, Choice: a model live with ipywidgets in a kernel, precomputed in the book
    selfcheck  quizzes that work in JupyterLab and in the static book

Course authors call it; they need not read it.
"""
