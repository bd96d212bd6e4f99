/* One name per figure on screen: every label that names a figure comes from here, and the
 * element carries the figure's key (`data-figure`), so the same name never names two
 * different figures (a journey's rate is never called what a visit's rate is called). */

import { h } from "./dom.js";

export const FIGURES = {
  completed: "Finished journeys",
  selfService: "Self-service rate",
  journeysEscalated: "Journeys that reached support",
  journeysTurned: "Journeys with a turnaround",
  length: "Clicks per journey",
  open: "Journeys still open",
  resolvedThrough: "Journeys through it that resolved",
  exitsPerVisit: "Exits per visit",
  turnaroundsPerVisit: "Turnarounds per visit",
  escalationsPerVisit: "Escalations per visit",
  chanceOfSuccess: "Chance of finding an answer",
  chanceOfEscalation: "Chance of reaching support",
  uTurnsAfterLink: "Came straight back",
  ticketsPerWeek: "Tickets a week",
  customersPerWeek: "Customers a week",
  confidence: "How sure",
  visits: "Visits",
  impact: "Answers missed",
  clicksSaved: "Clicks saved",
  timeOnPage: "Time on page",
};

// Each change metric (the API's PageMetric) is one of the figures above.
export const METRIC_FIGURE = {
  RESOLUTION_RATE: "resolvedThrough",
  EXIT_RATE: "exitsPerVisit",
  TURNAROUND_RATE: "turnaroundsPerVisit",
  ESCALATION_RATE: "escalationsPerVisit",
};

// Whether a rise of the metric is good news for customers.
export const UP_IS_GOOD = {
  RESOLUTION_RATE: true,
  EXIT_RATE: false,
  TURNAROUND_RATE: false,
  ESCALATION_RATE: false,
};

export function metricName(metric) {
  return FIGURES[METRIC_FIGURE[metric]] || metric;
}

/** An element labelling a figure: its one name, marked with its key. */
export function label(tag, key, attrs) {
  return h(tag, { ...(attrs || {}), "data-figure": key }, FIGURES[key]);
}

/** Mark the static labels of the page (th and h2 with data-figure) with their names. */
export function nameStaticLabels(root) {
  for (const el of (root || document).querySelectorAll("[data-figure]:not([data-named])")) {
    if (!el.textContent.trim()) el.textContent = FIGURES[el.dataset.figure] || el.dataset.figure;
    el.dataset.named = "";
  }
}

export const REASONS = {
  TURNAROUND_HOTSPOT: ["Customers turn back", "Customers turn straight back significantly more often than site-wide"],
  HIGH_EXIT: ["Customers leave", "Customers leave the help center here significantly more often than site-wide"],
  ESCALATION_HOTSPOT: ["Customers contact support", "Customers open a ticket, chat or call after this page significantly more often than site-wide"],
  DEAD_END: ["Dead end", "Nothing resolves here and no link leads on to an answer"],
  LOW_SUCCESS: ["Rarely helps", "Chance of finding an answer below half the site's"],
  MISLEADING_LINK: ["Misleading link in", "Customers arriving by one link turn straight back"],
  CHANGE: ["Broke recently", "A rate of this page changed for the worse"],
  LINK_SUGGESTION: ["Shortcut", "Customers who found their answer took a detour"],
  CONTENT_GAP: ["Not answered", "Customers search for this and do not find it"],
  NO_VISITS: ["Unvisited", "No visit in 90 days"],
};

export function badges(reasons) {
  if (!reasons.length) {
    return h("div", { class: "badges" }, h("span", { class: "badge NONE" }, "below the site's chance"));
  }
  return h(
    "div",
    { class: "badges" },
    reasons.map((r) => {
      const [text, help] = REASONS[r] || [r, r];
      return h("span", { class: `badge ${r}`, title: help, "data-reason": r }, text);
    }),
  );
}
