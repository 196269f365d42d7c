"""The yardstick: a bare ASGI app that answers with the bytes fake-cdyne's send returns, nothing more.

Served by the same uvicorn, same worker count and loop, in the same run as the fake (bench/run.py).
"""

BODY = (
    b'<SMSResponse xmlns="http://sms2.cdyne.com" xmlns:i="http://www.w3.org/2001/XMLSchema-instance">'
    b"<Cancelled>false</Cancelled><MessageID>7fc7f083-d169-4bc6-8ac7-1beaa6f9da11</MessageID><Queued>true</Queued>"
    b'<SMSError>NoError</SMSError><SMSIncomingMessages i:nil="true"/><Sent>false</Sent>'
    b"<SentDateTime>0001-01-01T00:00:00</SentDateTime></SMSResponse>"
)
HEADERS = [(b"content-type", b"application/xml; charset=utf-8"), (b"content-length", str(len(BODY)).encode())]


async def app(scope, receive, send):  # type: ignore[no-untyped-def]
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
