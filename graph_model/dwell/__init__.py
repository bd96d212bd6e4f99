"""Time on page: the seconds from a click on a page to the next click of the same
completed path, per page, over a window and a segment."""
