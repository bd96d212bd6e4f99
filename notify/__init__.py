"""Alerts by webhook (docs/alerts.md): the bodies (JSON, or Slack's message format), their
HMAC-SHA-256 signature, and the deliverer `pathrank serve` runs, which takes alerts from the
graph's outbox and delivers each at least once, retrying with backoff."""
