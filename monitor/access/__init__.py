"""Access: API keys and roles, who may read what, the audit log, and the one privacy policy."""
