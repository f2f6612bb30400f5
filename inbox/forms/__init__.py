"""The inbox's forms, one module per screen: the compose box (``compose``), contacts,
saved replies (``replies``), business hours (``hours``), the profile, WhatsApp templates and
consent (``whatsapp``), and the widgets drawn in Python that some of them use."""
