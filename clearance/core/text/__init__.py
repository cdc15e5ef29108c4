"""Text statistics: patterns, lengths, vocabulary, duplicates."""
