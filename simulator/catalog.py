"""Help-center vocabulary: one theme per customer segment, with human-readable titles."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Subtopic:
    title: str
    articles: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Theme:
    """A region of the site and the customer segment whose problems live there."""

    segment: str
    category: str
    weight: float  # share of customers in this segment, before normalising
    subtopics: tuple[Subtopic, ...]


def _sub(title: str, *articles: str) -> Subtopic:
    return Subtopic(title, articles)


THEMES: tuple[Theme, ...] = (
    Theme(
        "billing",
        "Billing & payments",
        0.34,
        (
            _sub(
                "Invoices",
                "Where can I download my invoices?",
                "How do I change the billing address on my invoice?",
                "Why was I charged twice?",
                "How do I get a VAT invoice?",
                "Can I get a copy of an old receipt?",
                "Understanding the charges on your invoice",
            ),
            _sub(
                "Payment methods",
                "How do I update my credit card?",
                "Which payment methods do you accept?",
                "Why was my payment declined?",
                "How do I pay by bank transfer?",
                "Can I pay with PayPal?",
                "How do I remove a saved card?",
            ),
            _sub(
                "Subscriptions",
                "How do I cancel my subscription?",
                "How do I upgrade or downgrade my plan?",
                "When will I be billed?",
                "How do I pause my subscription?",
                "What happens when my trial ends?",
                "How do I switch to annual billing?",
            ),
            _sub(
                "Refunds",
                "How do I request a refund?",
                "How long does a refund take?",
                "Why haven't I received my refund?",
                "Can I get a refund for an annual plan?",
                "Refund policy explained",
                "Refunds for cancelled orders",
            ),
        ),
    ),
    Theme(
        "login",
        "Account & login",
        0.28,
        (
            _sub(
                "Passwords",
                "How do I reset my password?",
                "I didn't receive the password reset email",
                "How do I change my password?",
                "Password requirements",
                "My reset link has expired",
                "Why do I keep getting logged out?",
            ),
            _sub(
                "Two-factor authentication",
                "How do I turn on two-factor authentication?",
                "I lost the phone with my authenticator app",
                "How do I use backup codes?",
                "My verification code is not working",
                "How do I change my 2FA phone number?",
                "Using a security key",
            ),
            _sub(
                "Account settings",
                "How do I change my email address?",
                "How do I change my username?",
                "How do I delete my account?",
                "How do I merge two accounts?",
                "How do I update my profile?",
                "How do I change my language?",
            ),
            _sub(
                "Locked accounts",
                "Why is my account locked?",
                "How do I unlock my account?",
                "My account was hacked",
                "Suspicious login alerts",
                "How do I sign out of all devices?",
                "Recovering an account without email access",
            ),
        ),
    ),
    Theme(
        "shipping",
        "Orders & shipping",
        0.22,
        (
            _sub(
                "Tracking",
                "Where is my order?",
                "How do I track my package?",
                "My tracking number is not working",
                "My package shows delivered but I don't have it",
                "Why is my order delayed?",
                "Delivery notifications",
            ),
            _sub(
                "Delivery options",
                "What shipping options do you offer?",
                "How much does shipping cost?",
                "Do you ship internationally?",
                "Can I change my delivery address?",
                "Express and next-day delivery",
                "Shipping to a PO box",
            ),
            _sub(
                "Returns",
                "How do I return an item?",
                "How do I print a return label?",
                "What is your return policy?",
                "How do I exchange an item?",
                "Returning an international order",
                "My return hasn't been processed",
            ),
            _sub(
                "Damaged or missing items",
                "My item arrived damaged",
                "An item is missing from my order",
                "I received the wrong item",
                "How do I report a problem with my order?",
                "Damaged packaging",
                "Claims for lost parcels",
            ),
        ),
    ),
    Theme(
        "developers",
        "Developers & API",
        0.16,
        (
            _sub(
                "Getting started",
                "How do I create an API key?",
                "Quickstart: your first API call",
                "Authentication with OAuth 2.0",
                "Choosing an SDK",
                "Sandbox vs production",
                "API versioning",
            ),
            _sub(
                "Errors & limits",
                "What does error 401 Unauthorized mean?",
                "How do rate limits work?",
                "Handling 429 Too Many Requests",
                "Why do I get a 500 error?",
                "Timeouts and retries",
                "Pagination limits",
            ),
            _sub(
                "Webhooks",
                "How do I set up webhooks?",
                "Verifying webhook signatures",
                "Why are my webhooks not delivered?",
                "Retrying failed webhook events",
                "Webhook event types",
                "Testing webhooks locally",
            ),
            _sub(
                "Integrations",
                "Connecting to Zapier",
                "Using the Salesforce integration",
                "Exporting data to CSV",
                "Importing data in bulk",
                "Single sign-on with SAML",
                "Syncing with Slack",
            ),
        ),
    ),
    Theme(
        "privacy",
        "Privacy & data",
        0.12,
        (
            _sub(
                "Your data",
                "How do I download my data?",
                "What data do you collect?",
                "How long do you keep my data?",
                "How do I correct my personal data?",
                "Data processing agreement",
                "Where is my data stored?",
            ),
            _sub(
                "Cookies",
                "How do I manage cookie preferences?",
                "Which cookies do you use?",
                "Opting out of analytics",
                "Why do I see the cookie banner again?",
                "Third-party cookies",
                "Do Not Track support",
            ),
            _sub(
                "Communication preferences",
                "How do I unsubscribe from emails?",
                "Managing notification settings",
                "Stop marketing text messages",
                "Why am I still getting emails?",
                "Newsletter frequency",
                "Push notification settings",
            ),
            _sub(
                "Security",
                "How do you protect my data?",
                "Reporting a security vulnerability",
                "Phishing emails pretending to be us",
                "Compliance certifications",
                "Encryption at rest and in transit",
                "Security best practices",
            ),
        ),
    ),
    Theme(
        "mobile",
        "Mobile app",
        0.10,
        (
            _sub(
                "Installing",
                "Which devices are supported?",
                "How do I install the app?",
                "How do I update the app?",
                "The app won't download",
                "Using the app on a tablet",
                "Joining the beta program",
            ),
            _sub(
                "App problems",
                "The app keeps crashing",
                "The app is slow",
                "I can't log in to the app",
                "The app shows a blank screen",
                "Clearing the app cache",
                "Reporting a bug in the app",
            ),
            _sub(
                "Notifications",
                "I'm not getting push notifications",
                "How do I turn off notifications?",
                "Changing notification sounds",
                "Badge counts are wrong",
                "Notifications on a smartwatch",
                "Setting quiet hours",
            ),
            _sub(
                "Offline & sync",
                "Using the app offline",
                "My data is not syncing",
                "Resolving sync conflicts",
                "Storage used by the app",
                "Syncing across devices",
                "Backing up app data",
            ),
        ),
    ),
)

# Larger sites reuse a subtopic's questions for other platforms and audiences.
QUALIFIERS: tuple[str, ...] = (
    "on iPhone",
    "on Android",
    "on the web",
    "for business accounts",
    "for team admins",
    "in the EU",
    "in the US",
    "in Canada",
    "for students",
    "on legacy plans",
    "with a gift card",
    "on a shared account",
)


def article_title(subtopic: Subtopic, n: int) -> str:
    """The n-th article title of a subtopic; unique for any n."""
    base = subtopic.articles[n % len(subtopic.articles)]
    round_ = n // len(subtopic.articles)
    if round_ == 0:
        return base
    if round_ <= len(QUALIFIERS):
        return f"{base} ({QUALIFIERS[round_ - 1]})"
    return f"{base} (edition {round_ - len(QUALIFIERS) + 1})"
