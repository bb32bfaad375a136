from tests.imports.helpers import make_job
from tests.tenancy import ApiCase, Case

CASES = [
    Case("imports:list"),
    Case("imports:new", write=True, data={"kind": "feedback"}, min_role="member"),
    Case("imports:detail", make_job),
    Case("imports:mapping", make_job, write=True, data={"col_0": "external_id", "col_3": "text"}, min_role="member"),
    Case("imports:preview", make_job),
    Case("imports:run", make_job, read=False, write=True, data={}),
    Case("imports:cancel", make_job, read=False, write=True, data={}),
    Case("imports:progress", make_job),
    Case("imports:download", make_job),
    Case("imports:errors_csv", make_job),
]

API_CASES = [
    ApiCase("GET", "/imports/"),
    ApiCase("GET", "/imports/{pk}", make_job),
    ApiCase("POST", "/imports/", write=True),
    ApiCase("POST", "/imports/{pk}/preview", make_job, write=True),
    ApiCase("POST", "/imports/{pk}/start", make_job, write=True),
    ApiCase("POST", "/imports/{pk}/cancel", make_job, write=True),
    ApiCase("POST", "/imports/feedback", write=True),
    ApiCase("POST", "/imports/accounts", write=True),
    ApiCase("POST", "/imports/contacts", write=True),
]
