"""The GraphQL documents the Client sends (both sources run the same ones)."""

from __future__ import annotations

from typing import Final

# The API's largest page; `pageIds` of a path at most its 500 first pages.
PAGE_SIZE: Final = 500
PATH_PAGE_SIZE: Final = 200  # paths per request: with 500 page ids each, under the cost limit
PATH_PAGES: Final = 500

_FIGURES = """
  id title url visits entries exits exitRate resolutions escalations escalationRate
  turnarounds turnaroundOpportunities turnaroundRate pageRank pathRank successProbability
  expectedClicksToResolution escalationProbability isHotspot isHighExit isEscalationHotspot
  impact weakReasons"""

PAGES: Final = f"""
query Pages($first: Int!, $after: String) {{
  pages(first: $first, after: $after) {{
    pageInfo {{ hasNextPage endCursor }}
    edges {{ node {{{_FIGURES} }} }}
  }}
}}"""

PATHS: Final = f"""
query Paths($first: Int!, $after: String, $from: DateTime, $until: DateTime,
            $segment: String, $outcome: PathOutcome, $pageId: ID) {{
  paths(first: $first, after: $after, from: $from, until: $until, segment: $segment,
        outcome: $outcome, pageId: $pageId) {{
    pageInfo {{ hasNextPage endCursor }}
    edges {{ node {{
      id customer {{ id }} start end length outcome turnarounds quickTurnarounds segments
      pageIds(first: {PATH_PAGES})
    }} }}
  }}
}}"""

_TRANSITION = """
  from { id } to { id } count probability turnarounds turnaroundRate successProbability"""

TRANSITIONS_OF_PAGE: Final = f"""
query Transitions($id: ID!, $limit: Int!) {{
  page(id: $id) {{ outgoing(limit: $limit) {{{_TRANSITION} }} }}
}}"""

TRANSITIONS: Final = f"""
query Transitions($first: Int!, $after: String, $limit: Int!) {{
  pages(first: $first, after: $after) {{
    pageInfo {{ hasNextPage endCursor }}
    edges {{ node {{ outgoing(limit: $limit) {{{_TRANSITION} }} }} }}
  }}
}}"""

_SERIES_ARGUMENTS = (
    "metric: $metric, interval: $interval, from: $from, until: $until, segment: $segment"
)
_SERIES_VARIABLES = (
    "$metric: PageMetric!, $interval: Interval, $from: DateTime, $until: DateTime, $segment: String"
)
_POINT = "start end trials successes rate low high"

PAGE_SERIES: Final = f"""
query Series($id: ID!, {_SERIES_VARIABLES}) {{
  page(id: $id) {{ series({_SERIES_ARGUMENTS}) {{ {_POINT} }} }}
}}"""

SITE_SERIES: Final = f"""
query Series({_SERIES_VARIABLES}) {{
  siteSeries({_SERIES_ARGUMENTS}) {{ {_POINT} }}
}}"""

CHANGES: Final = """
query Changes($since: DateTime, $limit: Int!) {
  changes(since: $since, limit: $limit) {
    page { id } metric kind periodStart periodEnd baselineStart baselineEnd trials successes
    baselineTrials baselineSuccesses rate baselineRate difference direction pValue qValue
    version { since }
  }
}"""

FUNNEL: Final = """
query Funnel($steps: [FunnelStepInput!]!, $within: Int, $from: DateTime, $until: DateTime,
             $segment: String, $limit: Int!) {
  funnel(steps: $steps, withinMinutes: $within, from: $from, until: $until,
         segment: $segment) {
    paths
    steps {
      index pageId pattern event reached converted dropped conversionRate
      medianMinutesToNext
      dropOffNext(limit: $limit) { pageId paths resolved abandoned escalated }
    }
  }
}"""

_DWELL = "timeOnPage(from: $from, until: $until, segment: $segment) { observations median p25 p75 }"

TIME_ON_PAGE: Final = f"""
query TimeOnPage($id: ID!, $from: DateTime, $until: DateTime, $segment: String) {{
  page(id: $id) {{ id {_DWELL} }}
}}"""

TIMES_ON_PAGES: Final = f"""
query TimeOnPage($first: Int!, $after: String, $from: DateTime, $until: DateTime,
                 $segment: String) {{
  pages(first: $first, after: $after) {{
    pageInfo {{ hasNextPage endCursor }}
    edges {{ node {{ id {_DWELL} }} }}
  }}
}}"""

# Search (searchQueries) and the work queue (workQueue): the fields the API names for them.
SEARCH_QUERIES: Final = """
query SearchQueries($first: Int!, $after: String, $orderBy: SearchOrder, $from: DateTime,
                    $until: DateTime, $segment: String) {
  searchQueries(first: $first, after: $after, orderBy: $orderBy, from: $from, until: $until,
                segment: $segment) {
    pageInfo { hasNextPage endCursor }
    edges { node {
      text searches customers noResults noResultRate clickThroughRate refinementRate pogoRate
      exitRate resolutionRate escalationRate paths failedPaths failureRate isContentGap pValue
      qValue excessFailures
    } }
  }
}"""

WORK_QUEUE: Final = """
query WorkQueue($first: Int!, $status: [WorkStatus!]) {
  workQueue(first: $first, status: $status) {
    id action title reason page { id } query link { from { id } to { id } } ticketsPerWeek
    customersPerWeek confidence status note stale
    verification { verdict pValue since }
  }
}"""
