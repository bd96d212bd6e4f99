"""The collector `pathrank serve` mounts next to the API: the Segment HTTP Tracking API and
the Snowplow tracker protocol, so SDKs and trackers send straight to the click topic
(docs/sources.md "The collector"). It maps with ingest.sources and never imports the API."""
