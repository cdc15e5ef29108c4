"""The built-in parts of steps 3 and 4 (models, tokenizers) and where they run (device, precision);
`clearance.core.parts` resolves the parts named in conf/ by `_target_`, these and the user's own."""
