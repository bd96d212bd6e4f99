"""Local Neo4j (+ OpenGDS + Neo4j Browser) and Kafka, assembled from Maven Central."""

from pathrank.services.errors import ServiceError
from pathrank.services.manager import ServiceManager, ServicesStatus

__all__ = ["ServiceError", "ServiceManager", "ServicesStatus"]
