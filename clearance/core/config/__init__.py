"""Typed configuration: the schemas of each step's settings, and params.yaml I/O.

The values (defaults included) live only in ``conf/``, composed by Hydra into
``params.yaml``; the dataclasses here are the types that every stage reads it
through, so a misspelt key or a wrong type is reported by its dotted name.
"""
