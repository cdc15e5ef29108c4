"""Reading, cleaning and splitting the user's data."""
