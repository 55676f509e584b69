"""Kombu's filesystem broker (the embedded default) with atomic publishing.

Kombu's filesystem transport creates a message file and then writes into it, so a worker listing the
queue folder in between moves away an empty file and dies on it with "JSONDecodeError: Expecting value"
(celery/kombu#1551, still open). Here a message is written under a name the queue does not match
(``….msg.part``) and renamed into place when complete; a rename within one folder is atomic, so a
reader sees a whole message or none.
"""

from __future__ import annotations

import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = final + ".part"
        try:
            with open(partial, "wb") as file:
                file.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel
