"""chat-client: a full-screen prompt-toolkit IRC client built on the project's IRC core."""
