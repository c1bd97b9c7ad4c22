"""AWS CDK app for crypto-sma."""
