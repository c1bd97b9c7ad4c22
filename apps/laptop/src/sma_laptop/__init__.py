"""The whole stack on a laptop: a local DynamoDB endpoint, producer-shaped ticks, the demo."""
