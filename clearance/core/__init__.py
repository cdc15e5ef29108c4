"""The core every step shares: configuration schemas, data, text, the plug-in parts, the one training
loop, evaluation, serving and tracking. It imports no step and not the checklist engine."""
