"""The engagement monitor: polls social channels, tags and routes posts, serves the review queue."""
