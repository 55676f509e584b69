"""Weibo's error codes, their HTTP statuses and messages, and the exception that carries one to the client."""

from __future__ import annotations

# code: (HTTP status, message). Messages are Weibo's own English texts (typos included where clients match them).
ERRORS: dict[int, tuple[int, str]] = {
    10001: (500, "System error!"),
    10003: (503, "Remote service error!"),
    10004: (403, "IP limit!"),
    10006: (400, "Source paramter (appkey) is missing"),
    10009: (503, "Too many pending tasks, system is busy!"),
    10013: (400, "Invalid weibo user"),
    10014: (403, "Insufficient app permissions!"),
    10016: (400, "Miss required parameter ({}) , see doc for more info!"),
    10017: (400, "Parameter ({}) value invalid: {}"),
    10020: (404, "Request api not found!"),
    10021: (405, "HTTP method is not suported for this request!"),
    10022: (403, "IP requests out of rate limit!"),
    10023: (403, "User requests out of rate limit!"),
    10024: (403, "User requests for ({}) out of rate limit!"),
    20003: (400, "User does not exists!"),
    20005: (400, "Unsupported image type, only suport JPG, GIF, PNG!"),
    20006: (400, "Image size too large."),
    20008: (400, "Content is null!"),
    20012: (400, "Text too long, please input text less than 140 characters!"),
    20015: (403, "Account or ip or app is illgal, can not continue!"),
    20016: (400, "Update weibo too fast!"),
    20017: (400, "Repeated weibo text!"),
    20018: (400, "Contains illegal website!"),
    20019: (400, "Repeat content!"),
    20020: (400, "Contains advertising!"),
    20021: (400, "Content is illegal!"),
    20022: (403, "Your IP's behave in a comic boisterous or unruly manner!"),
    20032: (400, "Update success, while server slow now, please wait 1-2 minutes!"),
    20101: (400, "Target weibo does not exist!"),
    20102: (400, "Not your own weibo!"),
    20109: (400, "Weibo id is null!"),
    20111: (400, "Can't post the same weibo!"),
    20201: (400, "Target weibo comment does not exist!"),
    21301: (401, "Auth faild!"),
    21327: (401, "expired_token"),
    21321: (403, "Applications over the unaudited use restrictions!"),
    21332: (401, "invalid_access_token"),
    21602: (400, "Contains forbid world!"),
}
UNKNOWN_CODE_STATUS = 400  # an error code the table does not know (fault injection may ask for any)
PLATFORM_FAULT_CODES = (10001, 10003, 10009)
APP_FAULT_CODES = (10006, 10013, 10014, 21321)  # about the app, not the call: what the ``app`` fault answers


def is_content_code(code: int) -> bool:
    """The 2xxxx content/target errors: Weibo sends these with ``error_code`` as a string, the rest as a number,
    and clients must cope with both."""
    return 20000 <= code < 21000 or code == 21602


class WeiboError(Exception):
    """An API error with Weibo's body. ``args`` fill the message's ``{}`` slots."""

    def __init__(self, code: int, *args: object, message: str | None = None):
        status, template = ERRORS.get(code, (UNKNOWN_CODE_STATUS, f"Error {code}"))
        self.code = code
        self.status = status
        self.message = message or (template.format(*args) if args else template.replace(" ({})", ""))
        super().__init__(f"{code}: {self.message}")

    def body(self, request_path: str) -> dict:
        return {
            "request": request_path,
            "error_code": str(self.code) if is_content_code(self.code) else self.code,
            "error": self.message,
        }


def missing(name: str) -> WeiboError:
    return WeiboError(10016, name)


def invalid(name: str, why: str) -> WeiboError:
    return WeiboError(10017, name, why)
