"""Webhooks: events written to an outbox with the change that caused them
(:mod:`.outbox`), the guard against URLs that point inside the network (:mod:`.netguard`),
and their delivery: :mod:`.worker` runs :mod:`.delivery`'s steps, which send signed
(:mod:`.signing`) attempts through :mod:`.sending`."""
