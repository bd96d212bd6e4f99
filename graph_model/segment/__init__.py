"""The segment aggregate: (:Segment {id: "key=value"}) and the paths IN_SEGMENT, what every
windowed figure can be restricted to, and a page's rates broken down by one key."""
