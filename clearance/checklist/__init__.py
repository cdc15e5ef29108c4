"""The checklist engine: question files, check results, evidence manifests, waivers and the gate.

It knows nothing about machine learning: a step's checks, required questions and
evidence fingerprint are files that the step's stage writes (reports/<step>/),
and the user's answers live in checklists/.
"""
