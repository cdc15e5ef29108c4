"""Step 1's search for shortcuts: does the data give the answer away? Label names inside the texts of their own
label (names.py), one measured property that alone predicts the label (properties.py), long spans many texts
share that predict the label (templates.py), and simple rules that are nearly perfect (run.py, which also
writes what step 3's probe removes)."""
