"""Read API for crypto-sma."""
