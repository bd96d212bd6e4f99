"""The work-item aggregate: (:WorkItem) nodes, the content designer's queue of actions, their
status and verification, and (:WorkItemFigures), each item's figures in one analysis run."""
