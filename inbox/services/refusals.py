"""The refusal every send check raises, in a module of its own so any check can import it."""


class SendRefused(Exception):
    """A send that must not happen; the message is for the agent, in plain words.

    ``code`` names the rule, for a message that fails at dispatch (its red triangle).
    """

    def __init__(self, reason: str, *, code: str = "refused") -> None:
        super().__init__(reason)
        self.code = code
