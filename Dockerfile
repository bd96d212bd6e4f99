# Customer PathRank service image: the `pathrank` CLI on Python 3.11.
#
#   docker build -t customer-pathrank .
#   docker run --rm customer-pathrank --help
#
# Every runtime dependency (confluent-kafka with its bundled librdkafka, neo4j-rust-ext,
# numpy, scipy, orjson) ships manylinux wheels, so the slim image needs no compiler.
# Neo4j and Kafka are not in this image: docker-compose.yml runs them next to it.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# The source is only needed to build and install the package; it stays root-owned.
WORKDIR /opt/pathrank-src
COPY . .
RUN pip install .

# Run as an unprivileged user with a writable home (settings.cache_dir defaults to
# ~/.cache/pathrank; `pathrank simulate` writes its output under the working directory).
RUN useradd --create-home --home-dir /home/pathrank --shell /usr/sbin/nologin --uid 10001 pathrank
USER pathrank
WORKDIR /home/pathrank

EXPOSE 8000
ENTRYPOINT ["pathrank"]
CMD ["--help"]
