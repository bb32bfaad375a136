from tests.notify.mailbox import mailbox  # noqa: F401
from tests.roadmap.helpers import hooks_server  # noqa: F401
