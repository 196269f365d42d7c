"""The yardsticks: ASGI apps that do nothing but answer, served the same way as the fake (bench/serve.py).

``app`` answers every request with the bytes fake-cdyne's send returns. ``receiver`` counts the POSTs it
gets (the postback receiver, so that its own cost is not the fake's) and answers a GET with the count.
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


received = [0]


async def receiver(scope, receive, send):  # type: ignore[no-untyped-def]
    if scope["type"] != "http":
        return
    if scope["method"] == "POST":
        while (await receive()).get("more_body"):
            pass
        received[0] += 1
        body = b"OK"
    else:
        body = str(received[0]).encode()
    headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
