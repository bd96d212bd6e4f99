"""Live assist: the at-risk state of open paths, and its announcements."""
