"""ASGI middleware around the GraphQL view: observation, body limits, the response cache."""
