"""Celery's filesystem broker, for the demo that runs without Redis, with whole messages only.

Kombu's filesystem transport writes a message straight into the folder the worker reads,
so a worker that lists the folder while a web process is still writing takes a half-written
file and dies decoding it. Here a message is written under a name the worker never takes
and then renamed into place: a rename within one folder is atomic, so the worker sees a
message whole or not at all.
"""

import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        final = os.path.join(
            self.data_folder_out,
            f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg",
        )
        # The worker takes only names ending in ".<queue>.msg"; this one ends in ".part".
        partial = f"{final}.part"
        try:
            with open(partial, "wb") as file:
                file.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel
