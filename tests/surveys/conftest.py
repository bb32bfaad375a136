from tests.notify.mailbox import mailbox  # noqa: F401
