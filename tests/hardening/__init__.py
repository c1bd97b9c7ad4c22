"""The pipeline under bad input, faults and outages; the corpus and the fault proxy sit here."""
