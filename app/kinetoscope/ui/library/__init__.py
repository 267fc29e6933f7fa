"""The Library window: folders of videos indexed by action, searched, and opened at the moment."""
