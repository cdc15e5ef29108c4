"""The neural model of steps 3 and 4: its built-in parts, the training loop and the packaged model.

Steps 1 and 2 never import it, so editing it re-runs steps 3 and 4 only.
"""
