"""The checklist engine: question files, check results, waivers and the gate.

It knows nothing about machine learning: a step's checks and evidence are
files that the step's stage writes, and its questions live in checklists/.
"""
