"""The core every step shares: configuration schemas, data, text, resolving the plug-in parts, evaluation,
reports and tracking. It imports no step, not the checklist engine and not the network (clearance.neural)."""
