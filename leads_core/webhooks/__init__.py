"""Webhooks: events written to an outbox with the change that caused them
(:mod:`.outbox`), and the guard against URLs that point inside the network (:mod:`.netguard`)."""
