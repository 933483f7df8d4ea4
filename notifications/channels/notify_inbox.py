"""Reading parents' replies: the texts people sent to the service's Notify number.

Notify lists received texts newest first, 250 a page; `older_than=<id>` gives
the page after. We page back until we reach the newest id already read (the
cursor) and hand back what is new, oldest first. Notify keeps received texts
for 7 days, so a first read, or one after a long outage, is bounded.

Nothing here logs a number or a text's content.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import requests
from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient

from engine.errors import InboxError
from notifications.channels.notify import DEFAULT_BASE_URL, check_api_key
from notifications.inbox import ReceivedText

MAX_PAGES = 40  # 10,000 texts: far beyond a week's replies; stops a runaway loop


def _parse(message: dict[str, Any]) -> ReceivedText:
    created = datetime.fromisoformat(str(message["created_at"]).replace("Z", "+00:00"))
    return ReceivedText(
        id=str(message["id"]),
        user_number=str(message["user_number"]),
        content=str(message.get("content") or ""),
        created_at=created if created.tzinfo else created.replace(tzinfo=UTC),
    )


class NotifyInbox:
    name = "notify"

    def __init__(self, *, api_key: str, base_url: str = DEFAULT_BASE_URL) -> None:
        check_api_key(api_key)
        self._api_key = api_key
        self.base_url = base_url

    def __repr__(self) -> str:  # never show the key
        return f"NotifyInbox(base_url={self.base_url!r})"

    def newer_than(self, last_id: str | None) -> list[ReceivedText]:
        """The texts received after `last_id` (all Notify still holds if None), oldest first."""
        client = NotificationsAPIClient(self._api_key, base_url=self.base_url)
        found: list[ReceivedText] = []
        older_than: str | None = None
        try:
            for _ in range(MAX_PAGES):
                page = client.get_received_texts(older_than=older_than)
                messages = page.get("received_text_messages") or []
                for message in messages:
                    if message.get("id") == last_id:
                        return found[::-1]
                    found.append(_parse(message))
                if not messages:
                    break
                older_than = str(messages[-1]["id"])
        except (APIError, requests.RequestException) as error:
            status = getattr(error, "status_code", None)
            what = f"notify {status}" if status else type(error).__name__
            raise InboxError(provider="notify", reason=what) from error
        except (KeyError, TypeError, ValueError) as error:
            raise InboxError(
                provider="notify", reason=f"unexpected response: {type(error).__name__}"
            ) from error
        finally:
            client.request_session.close()
        return found[::-1]
