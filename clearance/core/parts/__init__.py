"""Resolving the plug-in parts named in conf/ by `_target_` (the user's in plugins/ and the built-in ones in
clearance.neural.parts), and the preprocessing every step shares."""
