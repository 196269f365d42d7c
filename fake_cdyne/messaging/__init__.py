"""The Messaging service (``/Messaging.svc``): its types from CDYNE's schemas, the operation table, the
generic codec, the endpoint, and the behaviour behind the facade ``MessagingOperations``."""
