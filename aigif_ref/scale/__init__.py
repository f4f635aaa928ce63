"""Rendering at scale: many files over many GPUs or machines (Ray Data). Optional: nothing here is imported
unless asked for (`aigif render --ray`), and Ray itself only inside :mod:`aigif_ref.scale.ray_render`'s functions."""
