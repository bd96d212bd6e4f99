"""ASGI middleware around the GraphQL view: observation, body limits, the allowed hosts, the
response cache."""
