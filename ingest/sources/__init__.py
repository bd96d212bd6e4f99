"""Foreign event sources to our event JSON (docs/sources.md): Segment and RudderStack,
Snowplow, GA4's BigQuery export, any CSV or JSON Lines export, and the page rules that turn
their URLs into page ids. One module per source; each mapper is a pure function."""
