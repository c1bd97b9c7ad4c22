"""The API's tests: routes, stores and settings over a reference lake."""
