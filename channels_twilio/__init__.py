"""Twilio plumbing shared by the channels Twilio carries (SMS/MMS and WhatsApp).

- ``client``: the Twilio REST client, message creation and look-up, send errors in plain
  words, and inbound media fetched only from Twilio's own hosts (the allow-list);
- ``signature``: the ``X-Twilio-Signature`` check every Twilio webhook passes first;
- ``adapter``: ``TwilioAdapter``, the send / parse inbound / parse status each Twilio
  channel's adapter extends, and the registry the shared webhook finds them in;
- ``webhooks`` (``/webhooks/twilio/``): "a message comes in" and status callbacks for both
  channels (Twilio posts both to the same URLs; the sender's prefix says which channel),
  and the outbound media Twilio fetches;
- ``ingest`` and ``tasks``: the stored webhooks (``models.InboundWebhook``) routed into
  conversations by a worker, and inbound media fetched.

An app of its own (it holds the stored webhooks' table), not a channel: the channel apps
(``channels_sms``, ``channels_whatsapp``) depend on it and on ``inbox``; it depends on
``inbox`` only.
"""
