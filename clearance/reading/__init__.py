"""Reading a trained model's errors on rows it never trained on: weak slices, the model against the best
baseline row by row, and the labels the model doubts. Step 3 reads valid; step 4's final test reads test.
Imports neither torch nor the model: it reads the predictions the training stage wrote."""
