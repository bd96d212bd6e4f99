"""The page aggregate: (:Page) with its analysis figures, transitions and catalog."""
