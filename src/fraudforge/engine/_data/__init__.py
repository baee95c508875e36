"""Static reference data: Indian cities, festival calendar, names."""
