"""The web app: the review queue in the browser."""
