"""``MessagingOperations``: the Messaging operations' one entry point, ``service.messaging``.

It builds one object per behaviour (sending, incoming messages, keywords, postback settings, media),
each taking the Service; the operation table (``table.py``) names their methods dotted
(``"sending.send_message"``) and the endpoint runs them with the arguments the codec read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .incoming import Incoming
from .keywords import Keywords
from .media import Media
from .postback_settings import PostbackSettings
from .sending import Sending

if TYPE_CHECKING:
    from ..service import Service


class MessagingOperations:
    def __init__(self, service: Service) -> None:
        self.sending = Sending(service)
        self.incoming = Incoming(service)
        self.keywords = Keywords(service)
        self.postback_settings = PostbackSettings(service)
        self.media = Media(service)
