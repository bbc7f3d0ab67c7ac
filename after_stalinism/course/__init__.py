"""The course's content code: what a course author touches to add a lesson, a model or a dataset.

    lessons    the registry of lessons (stem, title, model) that the book, figures and tests read
    data       typed loading of the tables in data/ (described by data/datapackage.json)
    models     the lessons' models as pure, tested functions
    charts     figures of the course data
    explorers  each model's figure and its interactive Explorer

It rests on ``display`` (how figures and explorers show in JupyterLab and in the book).
"""
