"""Notebook 00's 2-D lab: a GAN small enough to watch learn on a plane.

- :mod:`.gan2d`: the 2-D data sets (ring, grid, moons, gaussian), the tiny G and D, the training step,
  VEEGAN's mode coverage, and the coverage table (``make coverage-2d`` saves it in results/coverage-2d/).
- :mod:`.view2d`: snapshots and pictures (fast Pillow frames, matplotlib figures, D* against D).
- :mod:`.widget`: the live widget (``widget.Lab``): training in a background thread, play / pause.
"""
