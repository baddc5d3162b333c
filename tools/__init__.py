"""Tools a learner never imports: they run from the checkout (``python -m tools.handout``, ``make ...``).

See the "where things live" map in ``gan_helpers/__init__.py``.
"""
