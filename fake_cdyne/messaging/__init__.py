"""The Messaging API (``/Messaging.svc``): CDYNE's successor of sms2, on the same store."""
