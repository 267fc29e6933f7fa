"""The Teach window (Tools ▸ Teach): build an action set from clips and parts of clips, train it, use it."""
