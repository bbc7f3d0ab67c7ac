"""Building and publishing the book, and keeping notebooks tidy. Never imported by the course, the
display engine or the grader.

    sphinxext      the Sphinx extension: static mode, offline assets per page, cache invalidation
    lightpages     post-build: the theme's icons inline, unused CSS and icon glyphs dropped
    printbook      the PDF edition, and the loopback server the tests and benchmarks use
    lab_markdown   MyST roles as Markdown links JupyterLab can open; each lesson's references cell
"""
